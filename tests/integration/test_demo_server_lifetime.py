"""The demo's local server does not outlive the demo, gets none of its secrets, and says what
is wrong when it cannot start or another program answers on its port.

The server is the real ``isoloir server run`` child; the programs that answer in its place are
real processes on loopback (``LocalServer.start``'s ``python`` runs them instead of Python).
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.cli.demo import plan_launch
from kiosk.demo.environment import child_environment
from kiosk.demo.layout import DemoKiosk
from kiosk.demo.local_server import LocalServer, LocalServerError, loopback_server

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="/proc and pidfd are Linux's")

GONE_DEADLINE_S = 30.0  # uvicorn's graceful shutdown with no connection open takes well under 1 s
SECRETS = {
    "ISOLOIR_OPERATOR_PIN": "4321",
    "ISOLOIR_NEW_OPERATOR_PIN": "8765",
    "ISOLOIR_STORE_PASSPHRASE": "correct horse battery staple",
    "ISOLOIR_ENROLLMENT_TOKEN": "enroll-me-please",
    "CI_JOB_TOKEN": "ci-job-token-value",
}

# The demo's parent, cut down: starts the local server of the demo in argv[1] as ``isoloir demo``
# does (SIGTERM ends it through its ``finally`` blocks), prints the server's pid, and waits.
DEMO_PARENT = """
import signal, sys
from pathlib import Path
from kiosk.demo.layout import DemoKiosk
from kiosk.demo.local_server import LocalServer, sigterm_exits
from kiosk.election import package

layout = DemoKiosk(Path(sys.argv[1]))
sealed = package.load(layout.package)
with sigterm_exits(), LocalServer.start(layout, sealed.manifest.server, sealed.fingerprint) as s:
    print(s.pid, flush=True)
    signal.pause()
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoKiosk:
    layout = DemoKiosk(tmp_path_factory.mktemp("lifetime") / "demo")
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["demo", "setup", str(layout.root), "--voters", "4", "--kdf", "test"])
    assert code == 0
    return layout


def _living(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has ended: only its parent's wait is missing)."""
    return _stat(pid) is not None and _stat(pid) != "Z"


def _stat(pid: int) -> str | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()[0]  # the state, after "(command)"


def _group_members(group: int) -> list[int]:
    """The running processes of process group ``group``."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


def _wait_gone(pid: int, deadline: float) -> None:
    """Until ``pid`` and every process of its group have ended, or ``deadline`` passes."""
    give_up = time.monotonic() + deadline
    with contextlib.suppress(ProcessLookupError):
        watch = os.pidfd_open(pid)
        try:  # readable once the process has ended
            select.select([watch], [], [], deadline)
        finally:
            os.close(watch)
    while (_living(pid) or _group_members(pid)) and time.monotonic() < give_up:
        time.sleep(0.05)  # a worker ends just after the server that stopped it


@contextlib.contextmanager
def _demo_parent(layout: DemoKiosk) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """The cut-down demo parent, with secrets in its environment, and its server's pid; both
    killed at the end whatever the test found."""
    parent = subprocess.Popen(
        [sys.executable, "-c", DEMO_PARENT, str(layout.root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **SECRETS},
    )
    server = 0
    try:
        assert parent.stdout is not None
        printed = parent.stdout.readline()  # after /health answered, within START_DEADLINE_S
        assert printed.strip().isdigit(), f"the demo parent did not start its server: {printed}"
        server = int(printed)
        yield parent, server
    finally:
        parent.kill()
        parent.communicate()  # reaps it and closes its pipe
        if server:
            for kill in (os.killpg, os.kill):  # the group, and the server if it has none
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill(server, signal.SIGKILL)


def test_a_killed_demo_takes_its_server_and_its_workers_along(demo: DemoKiosk) -> None:
    """SIGKILL (a CI's timeout) runs no cleanup in the demo: the server still ends, with its
    group, and frees the port."""
    with _demo_parent(demo) as (parent, server):
        assert os.getpgid(server) == server  # a group of its own: stop() reaches the workers
        assert _living(server)
        environment = Path(f"/proc/{server}/environ").read_bytes().split(b"\0")
        names = {line.split(b"=", 1)[0].decode() for line in environment if line}
        assert names.isdisjoint(SECRETS)
        assert not any(value.encode() in line for value in SECRETS.values() for line in environment)
        assert {"PATH", "ISOLOIR_SERVER_OUTBOX"} <= names  # what it needs is kept

        parent.send_signal(signal.SIGKILL)
        parent.wait()
        _wait_gone(server, GONE_DEADLINE_S)
        assert not _living(server)
        assert _group_members(server) == []


def test_a_terminated_demo_stops_its_server_before_it_exits(demo: DemoKiosk) -> None:
    """SIGTERM ends the demo as Ctrl-C does: the server is stopped, and gone, when the demo's
    exit status is known."""
    with _demo_parent(demo) as (parent, server):
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=GONE_DEADLINE_S) == 128 + signal.SIGTERM
        assert _stat(server) is None  # ended and reaped by the demo, not left to init
        assert _group_members(server) == []


def test_the_kiosk_window_gets_none_of_the_secrets(tmp_path: Path) -> None:
    environ = {**SECRETS, "DISPLAY": ":0", "PATH": "/usr/bin", "SPINNER": "dots"}
    launch = plan_launch(DemoKiosk(tmp_path), environ)
    assert dict(launch.env) == {"DISPLAY": ":0", "PATH": "/usr/bin", "SPINNER": "dots"}
    assert child_environment({"isoloir_operator_pin": "1", "Github_Token": "2"}) == {}


# ---- what another program on the port, or a server that cannot start, looks like -----------


def _stand_in(tmp_path: Path, body: str) -> str:
    """An executable run in the server's place, with the server's command line."""
    program = tmp_path / "stand-in"
    program.write_text(f"#!{sys.executable}\nimport sys\n{body}", encoding="utf-8")
    program.chmod(0o755)
    return str(program)


ANSWERS_ANYTHING = """
import http.server
port = int(sys.argv[sys.argv.index("--port") + 1])

class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass

http.server.HTTPServer(("127.0.0.1", port), Answer).serve_forever()
"""


@pytest.mark.parametrize(
    "health",
    [b"<html>It works!</html>", b"\xff\xfe not UTF-8", b"[1, 2]", b'{"fingerprint": 5}'],
    ids=["html", "not-utf8", "a-list", "not-a-string"],
)
def test_a_health_answer_that_is_not_isoloirs_is_a_local_server_error(
    tmp_path: Path, health: bytes
) -> None:
    program = _stand_in(tmp_path, f"BODY = {health!r}\n{ANSWERS_ANYTHING}")
    with socket.socket() as probe:  # a free port, as the demo picks one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LocalServerError, match="not an Isoloir server's health report"):
        LocalServer.start(
            DemoKiosk(tmp_path), loopback_server(port), "its-fingerprint", python=program
        )


def test_a_port_taken_by_another_program_is_named_with_the_way_out(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(LocalServerError, match=rf"127\.0\.0\.1:{port}.*taken.*--port N"):
            LocalServer.start(DemoKiosk(tmp_path), loopback_server(port), "its-fingerprint")
    assert not DemoKiosk(tmp_path).server_log.exists()  # refused before anything started


def test_a_server_that_stops_at_start_is_quoted_from_its_log(tmp_path: Path) -> None:
    program = _stand_in(tmp_path, 'print("cannot open the database: disk full")\nsys.exit(3)\n')
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(
        LocalServerError, match=r"stopped at start \(exit status 3\)(.|\n)*disk full"
    ):
        LocalServer.start(
            DemoKiosk(tmp_path), loopback_server(port), "its-fingerprint", python=program
        )
