"""A private CUPS server for the printing tests, with cups-pdf queues that file each job as a PDF.

    with CupsServer.started() as cups:
        queue = cups.add_pdf_queue()
        # print to queue.name, with CUPS_SERVER=cups.socket in the environment
        [pdf] = queue.wait_for_pdfs(1)

The server is a real ``cupsd`` in a temporary folder of its own: its configuration, spool,
cache, state and logs are there, and it listens only on a unix socket there (no port, no
browsing, no web interface). Clients reach it through ``CUPS_SERVER``, which libcups (so Qt's
CUPS plugin, ``lp`` and ``lpstat``) honours. Each queue uses the cups-pdf backend, whose output
folder comes from ``/etc/cups/cups-pdf-SUFFIX.conf`` for a device URI ``cups-pdf:/SUFFIX``
(the path is compiled into the backend): every queue has a unique name, writes that file for
itself and removes it with the queue, so the system's own cups-pdf setup is never touched.

It needs Debian's ``cups`` and ``printer-driver-cups-pdf`` (``make bootstrap``), and root: the
cups-pdf backend runs as root and its configuration lives in /etc/cups. ``missing()`` says what
is missing, for a skip.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CUPSD: Final = Path("/usr/sbin/cupsd")
LPADMIN: Final = Path("/usr/sbin/lpadmin")
CUPSREJECT: Final = Path("/usr/sbin/cupsreject")
LPSTAT: Final = Path("/usr/bin/lpstat")
CUPS_PDF_BACKEND: Final = Path("/usr/lib/cups/backend/cups-pdf")
CUPS_PDF_PPD: Final = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPS_PDF_CONFIG_DIR: Final = Path("/etc/cups")  # compiled into the cups-pdf backend

START_TIMEOUT_S: Final = 10.0
COMMAND_TIMEOUT_S: Final = 10.0
POLL_S: Final = 0.05  # between two looks at the queue, inside a bounded wait

_CUPSD_CONF: Final = """\
LogLevel info
Listen {socket}
Browsing No
BrowseLocalProtocols none
WebInterface No
DefaultAuthType None
# The papers name voters and choices: no copy of a job's file stays in the spool.
PreserveJobFiles No
<Location />
  Order deny,allow
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""

_CUPS_FILES_CONF: Final = """\
ServerRoot {root}/etc
RequestRoot {root}/spool
TempDir {root}/spool/tmp
CacheDir {root}/cache
StateDir {root}/state
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
Printcap {root}/printcap
SystemGroup root
FileDevice No
"""

_CUPS_PDF_CONF: Final = """\
Out {output}
AnonDirName {output}
Spool {root}/cups-pdf-spool
GSTmp {root}/cups-pdf-tmp
Log {root}/log
LogType 3
"""


def missing() -> str | None:
    """Why no private CUPS server can run here, or None when one can."""
    for tool, package in (
        (CUPSD, "cups"),
        (LPADMIN, "cups"),
        (CUPSREJECT, "cups"),
        (LPSTAT, "cups-client"),
        (CUPS_PDF_BACKEND, "printer-driver-cups-pdf"),
        (CUPS_PDF_PPD, "printer-driver-cups-pdf"),
    ):
        if not tool.exists():
            return f"{tool} is missing (Debian package {package}, make bootstrap)"
    if os.geteuid() != 0:
        return "the cups-pdf backend runs as root and reads /etc/cups: the tests need root"
    if not os.access(CUPS_PDF_CONFIG_DIR, os.W_OK):
        return f"{CUPS_PDF_CONFIG_DIR} is not writable"
    return None


class CupsServer:
    """A running private ``cupsd``; ``started()`` starts one and stops it after."""

    def __init__(self, root: Path, process: subprocess.Popen[bytes]) -> None:
        self.root = root
        self._process = process

    @property
    def socket(self) -> Path:
        """Where the server listens: the value for ``CUPS_SERVER``."""
        return self.root / "cups.sock"

    @classmethod
    @contextmanager
    def started(cls) -> Iterator[CupsServer]:
        problem = missing()
        if problem is not None:
            raise RuntimeError(problem)
        # Not pytest's tmp_path: its folders are 0700, and cupsd's filters run as lp.
        root = Path(tempfile.mkdtemp(prefix="isoloir-cups-"))
        try:
            root.chmod(0o711)
            for folder in ("etc/ppd", "spool/tmp", "cache", "state", "log", "cups-pdf-tmp"):
                (root / folder).mkdir(parents=True)
            cupsd_conf, files_conf = root / "etc/cupsd.conf", root / "etc/cups-files.conf"
            cupsd_conf.write_text(_CUPSD_CONF.format(socket=root / "cups.sock"))
            files_conf.write_text(_CUPS_FILES_CONF.format(root=root))
            with (root / "log/cupsd.out").open("wb") as out:
                process = subprocess.Popen(
                    [CUPSD, "-f", "-c", cupsd_conf, "-s", files_conf],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            server = cls(root, process)
            try:
                server._wait_until_running()
                yield server
            finally:
                server._stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)

    @property
    def env(self) -> dict[str, str]:
        """This process's environment, pointed at this server."""
        return {**os.environ, "CUPS_SERVER": str(self.socket)}

    def run(self, tool: Path, *args: str) -> str:
        """Run a CUPS command against this server; its output."""
        done = subprocess.run(
            [tool, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool.name} {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def add_pdf_queue(self) -> PdfQueue:
        """A new cups-pdf queue with a unique name, filing its jobs in a folder of its own."""
        name = f"isoloir-test-{secrets.token_hex(4)}"
        output = self.root / "pdf" / name
        output.mkdir(parents=True)
        config = CUPS_PDF_CONFIG_DIR / f"cups-pdf-{name}.conf"
        config.write_text(_CUPS_PDF_CONF.format(output=output, root=self.root))
        queue = PdfQueue(self, name, output, config)
        try:
            # Prints "Printer drivers are deprecated" on stderr: still how CUPS 2.4 takes a PPD.
            self.run(LPADMIN, "-p", name, "-E", "-v", f"cups-pdf:/{name}", "-P", str(CUPS_PDF_PPD))
        except BaseException:
            config.unlink()
            raise
        return queue

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's and cups-pdf's logs, to explain a failed wait."""
        tails = []
        for log in sorted((self.root / "log").iterdir()):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(tails)

    def _wait_until_running(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"cupsd exited ({self._process.returncode})\n{self.log_tail()}")
            if self.socket.exists():
                probe = subprocess.run(
                    [LPSTAT, "-r"], env=self.env, capture_output=True, timeout=COMMAND_TIMEOUT_S
                )
                if probe.returncode == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"cupsd did not start in {START_TIMEOUT_S} s\n{self.log_tail()}")
            time.sleep(POLL_S)

    def _stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=COMMAND_TIMEOUT_S)


@dataclass(frozen=True)
class PdfQueue:
    """One cups-pdf queue of a ``CupsServer``: each job it prints becomes a PDF in ``output``."""

    server: CupsServer
    name: str
    output: Path
    config: Path

    def make_default(self) -> None:
        self.server.run(LPADMIN, "-d", self.name)

    def reject_jobs(self) -> None:
        """Listed, but refusing new jobs (``cupsreject``): a submission that fails."""
        self.server.run(CUPSREJECT, self.name)

    def finished_jobs(self) -> int:
        """How many of its jobs are done (completed, or else aborted or cancelled)."""
        listing = self.server.run(LPSTAT, "-W", "completed", "-o", self.name)
        return len(listing.splitlines())

    def pdfs(self) -> list[Path]:
        return sorted(self.output.glob("*.pdf"))

    def wait_for_pdfs(self, count: int, timeout_s: float = 20.0) -> list[Path]:
        """Wait, ``timeout_s`` at most, until ``count`` jobs are done; their PDFs."""
        deadline = time.monotonic() + timeout_s
        while self.finished_jobs() < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.finished_jobs()} of {count} jobs done on {self.name} after "
                    f"{timeout_s} s\n{self.server.log_tail()}"
                )
            time.sleep(POLL_S)
        pdfs = self.pdfs()
        assert len(pdfs) == count, f"{len(pdfs)} PDFs for {count} jobs\n{self.server.log_tail()}"
        return pdfs

    def remove(self) -> None:
        """Delete the queue and its cups-pdf configuration."""
        try:
            self.server.run(LPADMIN, "-x", self.name)
        finally:
            self.config.unlink(missing_ok=True)

    @contextmanager
    def removed_after(self) -> Iterator[PdfQueue]:
        try:
            yield self
        finally:
            self.remove()
