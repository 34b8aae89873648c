"""Envelope ingestion by the central server against the verification bound, and upload latency.

Run: .venv/bin/python bench/server.py [--envelopes N] [--batch B] [--casts C] [--kiosks K]
                                      [--workers W] [--profile P]

A real ``isoloir server run --workers 2`` on a PostgreSQL 15 cluster this script starts (initdb
and pg_ctl on a Unix socket in a temporary folder, as tests/server/postgres.py does, but with
PostgreSQL's durable defaults: fsync and synchronous commit on, as in production), plain HTTP on
a loopback port, its log level INFO (its "startup complete" lines tell when it serves).

- the election: the demo's (kiosk/election/demo.py) and its roll, with K kiosks (50 by default;
  the demo lists 2) and a stand-in election key in place of the trustees' ceremony, re-signed by
  the organizer;
- the envelopes: ballots of the 15-option scrutin (docs/protocol.md Appendix A), sealed, signed
  and receipted by the kiosk's code (``seal``, ``sign_envelope``, ``sign_receipt``) on all cores,
  each for a distinct voter, dealt round-robin to the kiosks;
- the verification bound: the outbox phase's N envelopes parsed and their ballots verified
  (``decode_envelope`` + ``check_ballot``, the server's own calls) on all cores with
  multiprocessing, no database and no HTTP, in ballots/s: the better of a trial before the
  uploads and one after (the machine may be shared). Besides, every check the server makes that
  needs no database (both kiosk signatures too);
- the server: each kiosk enrolls (``ServerClient.enroll``, a token each) and uploads one warm-up
  envelope; one kiosk alone then uploads 20 envelopes one after another (its median latency is
  the floor of an upload's latency);
- the outbox phase: the K kiosks at once upload N envelopes, B per request, as a kiosk's outbox
  does after being offline: envelopes/s over the wall time from the first request to the last
  answer, and its ratio to the bound;
- the cast phase: the K kiosks at once upload C envelopes, one per request, as online kiosks send
  each cast at once: p50, p99 and slowest upload latency, from a request's first byte sent to
  its answer's last byte received;
- where the cores went in each phase: CPU seconds (from /proc) of the server's processes, of
  PostgreSQL's (the postmaster and its backends), of the kiosks (this process) and of the rest
  of the machine (other users of a shared one, or what they took while ours idled), as cores
  busy on average and as CPU milliseconds per envelope;
- every envelope must come back ``accepted`` and the board must count them all. Each kiosk keeps
  one connection (as ``ServerClient`` does) and signs each request when it sends it; how many
  connections each server process holds is sampled in each phase (with ``ss``);
- the profile (P envelopes): one kiosk, one envelope per upload, one at a time, against the app
  in this process on its own database: the median time of the verification, of the upload's
  database work, of the signed request's check, and of the rest (HTTP, JSON, FastAPI, threads).

Targets (issue 5): envelopes/s >= 0.8 x the bound, both on this machine's cores; p99 under the
kiosk client's timeout (kiosk/sync/client.py, 5 s). The load generator (asyncio, hand-written
HTTP/1.1 over sockets: it costs far less than httpx) and PostgreSQL share the machine's cores
with the server, as they would not in production. It ends with one line of key=value figures and
``ok`` (both targets met, every envelope accepted).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This script is named like the package it measures (and bench/kiosk.py like the other): with its
# own folder first on the path, ``import server`` would find this file. The repository root takes
# that folder's place.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [
    str(ROOT) if Path(entry or ".").resolve() == ROOT / "bench" else entry for entry in sys.path
]

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from kiosk.clock import SystemClock
from kiosk.crypto import group
from kiosk.crypto.ballot import BallotVerdict, check_ballot, encode_ballot, seal
from kiosk.crypto.context import ElectionContext, election_context
from kiosk.crypto.envelope import decode_envelope, encode_envelope, sign_envelope, verify_envelope
from kiosk.crypto.receipt import Receipt, sign_receipt, verify_receipt
from kiosk.crypto.tracking import tracking_code, tracking_code_of_bytes
from kiosk.election import package as package_io
from kiosk.election import signing
from kiosk.election.demo import build_demo
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import (
    ElectionId,
    ElectionKey,
    ElectionPackage,
    KioskId,
    KioskKey,
    Scrutin,
    TrusteeCommitments,
    TrusteeId,
    VoterId,
)
from kiosk.encoding import b64encode, canonical_json
from kiosk.sync.client import DEFAULT_TIMEOUT, KioskIdentity, ServerClient
from kiosk.sync.signing import sign_request
from tests.server.postgres import PostgresCluster, start_cluster, stop_cluster

TARGET_RATIO: Final = 0.8
ALONE: Final = 20  # uploads of one kiosk alone, one after another, before the others start
P99_BOUND_MS: Final = DEFAULT_TIMEOUT * 1000
ENVELOPES_PATH: Final = "/v1/envelopes"
# Production-like durability; enough connections for the workers' pools and this script.
PG_SETTINGS: Final = ("listen_addresses=''", "max_connections=200")

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Sealed:
    """One kiosk's outbox entry: the envelope's bytes and its receipt signature."""

    kiosk_id: str
    envelope: bytes
    receipt_signature: bytes


# ---- the election and its envelopes ---------------------------------------------------------


def build_election(folder: Path, kiosks: int, voters: int) -> tuple[Path, dict[str, bytes]]:
    """The demo election with ``kiosks`` kiosks, sealed with a stand-in key, as a package
    folder; each kiosk's private key seed."""
    demo = build_demo(now=datetime.now(UTC), voters=voters, kdf=KdfProfile.TEST.value)
    secrets = [group.random_scalar() for _ in range(3)]
    trustees = tuple(
        TrusteeCommitments(TrusteeId(f"t{i}"), (group.base_mul(s), group.base_mul(s + 1)))
        for i, s in enumerate(secrets)
    )
    keys = {f"kiosk-{n:02d}": signing.generate() for n in range(1, kiosks + 1)}
    manifest = dataclasses.replace(
        demo.package.manifest,
        kiosks=tuple(
            KioskKey(KioskId(kiosk_id), signing.public_bytes(key), f"Bureau {kiosk_id}")
            for kiosk_id, key in keys.items()
        ),
        election_key=ElectionKey(group.base_mul(sum(secrets)), 2, trustees),
    )
    sealed = package_io.resign(demo.package, manifest, demo.organizer_key)
    package_io.write(sealed, folder)
    return folder, {kiosk_id: _seed(key) for kiosk_id, key in keys.items()}


def _seed(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def biggest_scrutin(election: ElectionPackage) -> Scrutin:
    return max(election.manifest.scrutins, key=lambda s: len(s.options))


@dataclasses.dataclass(frozen=True)
class _Loaded:
    """What each pool process holds: the election, loaded once, and the kiosks' keys."""

    election: ElectionPackage
    context: ElectionContext
    scrutin: Scrutin
    keys: dict[str, Ed25519PrivateKey]
    public_keys: dict[str, bytes]


_LOADED: list[_Loaded] = []


def _init_worker(folder: Path, seeds: dict[str, bytes]) -> None:
    election = package_io.load(folder)
    _LOADED[:] = [
        _Loaded(
            election,
            election_context(election),
            biggest_scrutin(election),
            {k: Ed25519PrivateKey.from_private_bytes(s) for k, s in seeds.items()},
            {kiosk.id: kiosk.public_key for kiosk in election.manifest.kiosks},
        )
    ]


def _seal_one(job: tuple[int, str, str]) -> Sealed:
    index, kiosk_id, voter = job
    loaded = _LOADED[0]
    scrutin = loaded.scrutin
    ballot = seal(loaded.context, scrutin, scrutin.options[index % len(scrutin.options)]).cast()
    key = loaded.keys[kiosk_id]
    envelope = sign_envelope(
        key,
        election_id=loaded.election.manifest.election_id,
        scrutin_id=scrutin.id,
        voter_id=VoterId(voter),
        ballot=ballot,
        kiosk_id=KioskId(kiosk_id),
    )
    receipt = sign_receipt(
        key,
        election_fingerprint=loaded.election.fingerprint,
        scrutin_id=scrutin.id,
        tracking_code=tracking_code(ballot),
        kiosk_id=KioskId(kiosk_id),
    )
    return Sealed(kiosk_id, encode_envelope(envelope), receipt.signature)


def _verify_ballots(chunk: list[bytes]) -> int:
    """The bound's work: parse each envelope, verify its ballot's proofs."""
    loaded = _LOADED[0]
    valid = 0
    for data in chunk:
        envelope = decode_envelope(data)
        verdict = check_ballot(loaded.context, loaded.scrutin, envelope.ballot)
        valid += verdict is BallotVerdict.VALID
    return valid


def _check_fully(chunk: list[tuple[bytes, bytes]]) -> int:
    """Every check the server makes that needs no database (server/envelopes.py ``_check``)."""
    loaded = _LOADED[0]
    valid = 0
    for data, receipt_signature in chunk:
        envelope = decode_envelope(data)
        key = loaded.public_keys[envelope.kiosk_id]
        ballot = encode_ballot(envelope.ballot)
        receipt = Receipt(
            loaded.election.fingerprint,
            envelope.scrutin_id,
            tracking_code_of_bytes(ballot),
            envelope.kiosk_id,
            receipt_signature,
        )
        valid += (
            verify_envelope(envelope, key)
            and verify_receipt(receipt, key)
            and check_ballot(loaded.context, loaded.scrutin, envelope.ballot) is BallotVerdict.VALID
        )
    return valid


def _chunks(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def rate_on_all_cores(
    pool: multiprocessing.pool.Pool, work: object, items: Sequence[object], cores: int
) -> float:
    """Items per second through ``work`` on every process of ``pool`` (after a warm-up)."""
    assert callable(work)
    chunk = max(1, min(100, len(items) // (cores * 8) or 1))
    pool.map(work, [list(items[:1])] * cores)
    start = time.perf_counter()
    valid = sum(pool.map(work, _chunks(items, chunk)))
    elapsed = time.perf_counter() - start
    if valid != len(items):
        raise AssertionError(f"{len(items) - valid} honest envelopes failed to verify")
    return len(items) / elapsed


# ---- PostgreSQL and the server --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def issue_tokens(url: str, kiosk_ids: Sequence[str]) -> dict[str, str]:
    """Migrate the database and issue one enrollment token per kiosk (the library calls behind
    ``isoloir server migrate`` and ``enroll-token``: 50 processes would take a minute)."""
    from server.enrollment import issue_token
    from server.storage import migrations
    from server.storage.database import Database

    database = Database.open(url)
    try:
        migrations.migrate(database, SystemClock())
        return {
            kiosk_id: issue_token(database, kiosk_id, timedelta(hours=1), SystemClock()).token
            for kiosk_id in kiosk_ids
        }
    finally:
        database.close()


class Server:
    """``isoloir server run`` in a subprocess; ready once every worker said so and /health
    answers. Its output goes to a file (read at the start, shown on failure)."""

    def __init__(self, url: str, package: Path, workers: int, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log
        self._workers = workers
        command = [
            sys.executable, "-m", "kiosk", "--log-level", "INFO", "server", "run",
            "--db", url, "--package", str(package), "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", str(workers),
        ]  # fmt: skip
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )

    def wait_started(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self._log.read_text(errors="replace").count("startup complete") < self._workers:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the server did not start:\n" + self._log.read_text())
            time.sleep(0.1)  # its output goes to a file, which has no "line written" event
        with httpx.Client(trust_env=False, timeout=10) as client:
            if client.get(f"{self.url}/health").status_code != 200:
                raise RuntimeError("the server does not answer /health")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# ---- the kiosks -----------------------------------------------------------------------------


def enroll(
    url: str, election: ElectionPackage, seeds: dict[str, bytes], tokens: dict[str, str]
) -> None:
    for kiosk_id, token in tokens.items():
        with ServerClient(
            url,
            election_id=election.manifest.election_id,
            kiosk_id=KioskId(kiosk_id),
            key=Ed25519PrivateKey.from_private_bytes(seeds[kiosk_id]),
            clock=SystemClock(),
            package_fingerprint=election.fingerprint,
        ) as client:
            answer = client.enroll(token)
        if not isinstance(answer, KioskIdentity):
            raise RuntimeError(f"{kiosk_id} could not enroll: {answer}")


@dataclasses.dataclass
class KioskRun:
    kiosk_id: str
    key: Ed25519PrivateKey
    batches: list[list[Sealed]]
    latencies: list[float] = dataclasses.field(default_factory=list)
    answers: list[tuple[int, bytes]] = dataclasses.field(default_factory=list)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise RuntimeError(f"an answer without Content-Length: {lines[0]}")
    body = await reader.readexactly(int(headers["content-length"]))
    return status, body


def _upload_body(batch: list[Sealed]) -> bytes:
    """``POST /v1/envelopes``'s body, as ``ServerClient.upload`` writes it."""
    items = [
        {"envelope": b64encode(s.envelope), "receipt_signature": b64encode(s.receipt_signature)}
        for s in batch
    ]
    return canonical_json({"envelopes": items})


def _signed_headers(
    key: Ed25519PrivateKey, election_id: str, kiosk_id: str, body: bytes
) -> dict[str, str]:
    signature = sign_request(
        key,
        election_id=ElectionId(election_id),
        kiosk_id=KioskId(kiosk_id),
        method="POST",
        target=ENVELOPES_PATH,
        body=body,
        timestamp=int(time.time()),
    )
    return signature.headers()


async def _kiosk(run: KioskRun, election_id: str, port: int) -> None:
    """One kiosk: its batches one after another on one kept-alive connection, each request
    signed when it is sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for batch in run.batches:
            body = _upload_body(batch)
            headers = _signed_headers(run.key, election_id, run.kiosk_id, body)
            head = [
                f"POST {ENVELOPES_PATH} HTTP/1.1",
                f"Host: 127.0.0.1:{port}",
                "Content-Type: application/json",
                f"Content-Length: {len(body)}",
                *(f"{name}: {value}" for name, value in headers.items()),
            ]
            request = ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            answer = await _read_response(reader)
            run.latencies.append(time.perf_counter() - start)
            run.answers.append(answer)
    finally:
        writer.close()
        await writer.wait_closed()


async def _all_kiosks(
    runs: list[KioskRun], election_id: str, port: int, sample_spread: bool
) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    uploads = asyncio.gather(*(_kiosk(run, election_id, port) for run in runs))
    spread: dict[str, int] = {}
    if sample_spread:
        await asyncio.sleep(0.5)  # every kiosk has connected by then
        spread = await asyncio.to_thread(connections_per_process, port)
    await uploads
    return time.perf_counter() - start, spread


def upload_all(
    runs: list[KioskRun], election_id: str, port: int, *, sample_spread: bool = False
) -> tuple[float, dict[str, int]]:
    """Every kiosk at once: the wall time from the first request to the last answer, and how
    many of the kiosks' connections each server process holds half a second in."""
    return asyncio.run(_all_kiosks(runs, election_id, port, sample_spread))


def connections_per_process(port: int) -> dict[str, int]:
    """Established connections to ``port``, by the process holding them (iproute2's ``ss``)."""
    if shutil.which("ss") is None:
        return {}
    query = ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"]
    listing = subprocess.run(query, capture_output=True, text=True, check=False).stdout
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", listing):
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def accepted_count(runs: list[KioskRun]) -> int:
    count = 0
    for run in runs:
        for status, body in run.answers:
            if status != 200:
                raise RuntimeError(f"{run.kiosk_id}: HTTP {status}: {body[:300]!r}")
            count += sum(item["status"] == "accepted" for item in json.loads(body)["answers"])
    return count


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# ---- where the time goes --------------------------------------------------------------------


class _ServerThread:
    """uvicorn serving ``app`` on a loopback port in a thread of this process (the profile)."""

    def __init__(self, app: FastAPI) -> None:
        import uvicorn

        # IPPROTO_TCP spelt out: asyncio sets TCP_NODELAY on the connections this socket
        # accepts only then (with proto 0, Nagle's algorithm holds each answer's second segment
        # until the client's delayed ACK, about 40 ms).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()


def profile(url: str, folder: Path, seeds: dict[str, bytes], items: list[Sealed]) -> None:
    """One kiosk, one request at a time, the server in this process on its own new database:
    the time of each stage of an upload of one envelope, median over ``items`` (split in
    three: stages that store must not see an envelope twice)."""
    from server.app import create_app, server_state
    from server.auth import SignedRequest
    from server.envelopes import EnvelopeIntake, UploadItem
    from server.settings import ServerSettings

    kiosk_id = items[0].kiosk_id
    key = Ed25519PrivateKey.from_private_bytes(seeds[kiosk_id])
    tokens = issue_tokens(url, [kiosk_id])
    app = create_app(ServerSettings(database_url=url, package=folder), SystemClock())
    state = server_state(app)
    election = state.package
    thread = _ServerThread(app)
    try:
        enroll(f"http://127.0.0.1:{thread.port}", election, seeds, tokens)
        third = len(items) // 3
        checks, auths, uploads, whole = [], [], [], []
        loaded = _Loaded(election, election_context(election), biggest_scrutin(election), {}, {})
        _LOADED[:] = [dataclasses.replace(loaded, public_keys={kiosk_id: _public(key)})]
        for item in items[:third]:
            start = time.perf_counter()
            _check_fully([(item.envelope, item.receipt_signature)])
            checks.append(time.perf_counter() - start)
        for item in items[:third]:
            body = _upload_body([item])
            headers = _signed_headers(key, election.manifest.election_id, kiosk_id, body)
            request = SignedRequest("POST", ENVELOPES_PATH, body, headers)
            start = time.perf_counter()
            state.authenticator.authenticate(request)
            auths.append(time.perf_counter() - start)
        intake = EnvelopeIntake(state.database, election, SystemClock())
        for item in items[third : 2 * third]:
            start = time.perf_counter()
            (answer,) = intake.upload(
                KioskId(kiosk_id), [UploadItem(item.envelope, item.receipt_signature)]
            )
            uploads.append(time.perf_counter() - start)
            assert answer.status.value == "accepted", answer
        run = KioskRun(kiosk_id, key, [[item] for item in items[2 * third : 3 * third]])
        upload_all([run], election.manifest.election_id, thread.port)
        whole = run.latencies
        if accepted_count([run]) != third:
            raise RuntimeError("the profile's envelopes were not all accepted")
    finally:
        thread.stop()
        state.database.close()

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    check, auth, upload, total = ms(checks), ms(auths), ms(uploads), ms(whole)
    print(f"profile (one kiosk, one envelope per upload, sequential, in process; {third} each):")
    print(f"  verification (parse, 2 kiosk signatures, ballot proofs)  {check:6.2f} ms")
    print(f"  database: the upload's reads and its write transaction  {upload - check:6.2f} ms")
    print(f"  signed request: headers, signature, nonce insert        {auth:6.2f} ms")
    print(
        f"  HTTP, JSON, FastAPI, threads (the rest)                 {total - upload - auth:6.2f} ms"
    )
    print(f"  a whole upload over loopback HTTP                       {total:6.2f} ms")


def _public(key: Ed25519PrivateKey) -> bytes:
    return signing.public_bytes(key)


# ---- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=2000, help="outbox phase (2000)")
    parser.add_argument("--batch", type=int, default=20, help="envelopes per outbox upload (20)")
    parser.add_argument("--casts", type=int, default=1000, help="cast phase, one per upload (1000)")
    parser.add_argument("--kiosks", type=int, default=50, help="concurrent kiosks (50)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (2)")
    parser.add_argument(
        "--profile", type=int, default=90, help="envelopes for the stage profile (90; 0: none)"
    )
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="isoloir-bench-server-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        # About 60 % of the demo's voters are on the 15-option scrutin's roll.
        voters = 2 * (args.kiosks + ALONE + args.envelopes + args.casts) + 100
        folder, seeds = build_election(root / "package", args.kiosks, voters)
        with multiprocessing.Pool(cores, _init_worker, (folder, seeds)) as pool:
            return _measure(args, cores, root, folder, seeds, pool, started)


# ---- where the cores went --------------------------------------------------------------------

_TICKS: Final = os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[int, float]]:
    """Each process's parent and CPU seconds so far (user + system, all its threads)."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:  # it exited meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS)
    return table


def _machine_busy() -> float:
    """CPU seconds every core spent on anything but idling, since boot (/proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(value) for value in Path("/proc/stat").read_text().split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / _TICKS


@dataclasses.dataclass(frozen=True)
class CpuWatch:
    """CPU seconds so far of the server (its process and workers), PostgreSQL (the postmaster
    and its backends), the kiosks (this process alone: the asyncio load generator) and the
    whole machine; the difference of two readings is a phase's."""

    server_pid: int
    postmaster_pid: int

    def read(self) -> dict[str, float]:
        table = _process_table()
        children: dict[int, list[int]] = {}
        for pid, (parent, _) in table.items():
            children.setdefault(parent, []).append(pid)

        def tree(root: int) -> float:
            stack, total = [root], 0.0
            while stack:
                pid = stack.pop()
                total += table[pid][1] if pid in table else 0.0
                stack.extend(children.get(pid, ()))
            return total

        return {
            "server": tree(self.server_pid),
            "postgres": tree(self.postmaster_pid),
            "kiosks": table[os.getpid()][1],
            "machine": _machine_busy(),
        }


def postmaster_pid(cluster: PostgresCluster) -> int:
    return int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])


def _cores_text(used: dict[str, float], wall: float, cores: int) -> str:
    """Cores each part kept busy on average over the phase; ``other`` is the rest of the
    machine (other users of a shared one), ``idle`` what nobody used."""
    mine = used["server"] + used["postgres"] + used["kiosks"]
    other = max(0.0, used["machine"] - mine)
    idle = max(0.0, cores - used["machine"] / wall)
    parts = {**{k: used[k] for k in ("server", "postgres", "kiosks")}, "other": other}
    return " ".join(f"{k} {v / wall:.2f}" for k, v in parts.items()) + f" idle {idle:.2f}"


@dataclasses.dataclass(frozen=True)
class Phase:
    """One phase of uploads by every kiosk at once."""

    runs: list[KioskRun]
    wall: float  # first request sent to last answer received
    spread: dict[str, int]  # connections per server process, sampled during the phase
    cpu: dict[str, float]  # CPU seconds during the phase (``CpuWatch``)

    @property
    def envelopes(self) -> int:
        return sum(len(batch) for run in self.runs for batch in run.batches)

    @property
    def rate(self) -> float:
        return self.envelopes / self.wall

    @property
    def latencies(self) -> list[float]:
        return [latency for run in self.runs for latency in run.latencies]


def _phase(
    envelopes: list[Sealed],
    kiosk_ids: list[str],
    keys: dict[str, Ed25519PrivateKey],
    batch: int,
    election_id: str,
    port: int,
    watch: CpuWatch,
) -> Phase:
    runs = []
    for kiosk_id in kiosk_ids:
        own = [s for s in envelopes if s.kiosk_id == kiosk_id]
        runs.append(KioskRun(kiosk_id, keys[kiosk_id], _chunks(own, batch)))
    before = watch.read()
    wall, spread = upload_all(runs, election_id, port, sample_spread=True)
    after = watch.read()
    # A process that exited during the phase (a PostgreSQL autovacuum worker) takes its CPU
    # seconds with it: a part is never counted below zero.
    return Phase(runs, wall, spread, {k: max(0.0, after[k] - before[k]) for k in after})


def _measure(
    args: argparse.Namespace,
    cores: int,
    root: Path,
    folder: Path,
    seeds: dict[str, bytes],
    pool: multiprocessing.pool.Pool,
    started: float,
) -> int:
    kiosk_ids = [f"kiosk-{n:02d}" for n in range(1, args.kiosks + 1)]
    election = package_io.load(folder)
    election_id = election.manifest.election_id
    scrutin = biggest_scrutin(election)
    eligible = [v.id for v in election.roll if scrutin.id in v.scrutins]
    # Voters in order: one warm-up envelope per kiosk, the lone kiosk's, the outbox phase's,
    # the cast phase's; each kiosk's share of a phase is dealt round-robin.
    sizes = {"warm-up": args.kiosks, "alone": ALONE, "outbox": args.envelopes, "casts": args.casts}
    total = sum(sizes.values())
    if len(eligible) < total:
        raise SystemExit(f"only {len(eligible)} voters for {total} envelopes")
    jobs = []
    for name, size in sizes.items():
        for i in range(len(jobs), len(jobs) + size):
            kiosk_id = kiosk_ids[0] if name == "alone" else kiosk_ids[i % args.kiosks]
            jobs.append((i, kiosk_id, eligible[i]))
    # The profile's own database takes the first voters again, all through the first kiosk.
    jobs += [(i, kiosk_ids[0], eligible[i]) for i in range(args.profile)]
    everything = pool.map(_seal_one, jobs, chunksize=50)
    parts, start = {}, 0
    for name, size in sizes.items():
        parts[name], start = everything[start : start + size], start + size
    profiled = everything[total:]
    print(
        f"election: {len(election.roll)} voters, {args.kiosks} kiosks, scrutin {scrutin.id} "
        f"({len(scrutin.options)} options); {len(everything)} envelopes sealed, signed and "
        f"receipted on {cores} cores in {time.perf_counter() - started:.1f} s"
    )
    ballots = [s.envelope for s in parts["outbox"]]
    bounds = [rate_on_all_cores(pool, _verify_ballots, ballots, cores)]
    checks = rate_on_all_cores(
        pool, _check_fully, [(s.envelope, s.receipt_signature) for s in parts["outbox"]], cores
    )
    print(
        f"verification bound: {bounds[0]:.0f} ballots/s on {cores} cores (parse + verify the "
        f"ballot's proofs, {len(ballots)} ballots: {1000 * cores / bounds[0]:.2f} ms a ballot "
        f"a core); every check without the database (signatures too): {checks:.0f}/s"
    )

    cluster: PostgresCluster | None = None
    server: Server | None = None
    try:
        cluster = start_cluster(PG_SETTINGS)
        url = cluster.fresh_database()
        tokens = issue_tokens(url, kiosk_ids)
        server = Server(url, folder, args.workers, root / "server.log")
        server.wait_started()
        enroll(server.url, election, seeds, tokens)
        keys = {k: Ed25519PrivateKey.from_private_bytes(s) for k, s in seeds.items()}
        warm = [KioskRun(s.kiosk_id, keys[s.kiosk_id], [[s]]) for s in parts["warm-up"]]
        upload_all(warm, election_id, server.port)
        lone = KioskRun(kiosk_ids[0], keys[kiosk_ids[0]], [[s] for s in parts["alone"]])
        upload_all([lone], election_id, server.port)
        watch = CpuWatch(server.process.pid, postmaster_pid(cluster))
        outbox = _phase(
            parts["outbox"], kiosk_ids, keys, args.batch, election_id, server.port, watch
        )
        casts = _phase(parts["casts"], kiosk_ids, keys, 1, election_id, server.port, watch)
        accepted = accepted_count([*warm, lone, *outbox.runs, *casts.runs])
        with httpx.Client(trust_env=False, timeout=30) as client:
            on_board = client.get(f"{server.url}/v1/board/head").json()["count"]
        server.stop()
        server = None
        bounds.append(rate_on_all_cores(pool, _verify_ballots, ballots, cores))
        if profiled:
            profile(cluster.fresh_database(), folder, seeds, profiled)
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            stop_cluster(cluster)

    bound = max(bounds)
    ratio = outbox.rate / bound
    latencies = casts.latencies
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    alone_ms = statistics.median(lone.latencies) * 1000
    print(
        f"verification bound: {bound:.0f} ballots/s, the better of a trial before the uploads "
        f"({bounds[0]:.0f}/s) and one after ({bounds[1]:.0f}/s)"
    )
    print(
        f"a kiosk alone (the server idle otherwise), {len(lone.latencies)} uploads of one "
        f"envelope one after another: median {alone_ms:.1f} ms"
    )
    print(
        f"outbox phase: {outbox.envelopes} envelopes from {args.kiosks} kiosks at once, "
        f"{args.batch} per upload, {args.workers} workers: {outbox.wall:.1f} s, "
        f"{outbox.rate:.0f} envelopes/s, ratio to the bound {ratio:.2f} (target >= "
        f"{TARGET_RATIO}); connections per worker {_spread_text(outbox.spread)}"
    )
    print(
        f"cast phase: {casts.envelopes} envelopes from {args.kiosks} kiosks at once, one per "
        f"upload: {casts.wall:.1f} s, {casts.rate:.0f} envelopes/s; upload latency p50 "
        f"{p50:.0f} ms, p99 {p99:.0f} ms, slowest {max(latencies) * 1000:.0f} ms (bound: the "
        f"kiosk's upload timeout, {P99_BOUND_MS:.0f} ms); connections per worker "
        f"{_spread_text(casts.spread)}"
    )
    for name, phase in (("outbox", outbox), ("cast", casts)):
        print(
            f"{name} phase, cores busy on average: {_cores_text(phase.cpu, phase.wall, cores)}; "
            f"CPU per envelope: server {1000 * phase.cpu['server'] / phase.envelopes:.2f} ms, "
            f"PostgreSQL {1000 * phase.cpu['postgres'] / phase.envelopes:.2f} ms, kiosks "
            f"{1000 * phase.cpu['kiosks'] / phase.envelopes:.2f} ms"
        )
    all_in = accepted == total and on_board == total
    print(f"{accepted} of {total} envelopes accepted, {on_board} on the board")
    ok = all_in and ratio >= TARGET_RATIO and p99 < P99_BOUND_MS
    print(
        f"envelopes_per_s={outbox.rate:.1f} bound_per_s={bound:.1f} ratio={ratio:.3f} "
        f"p99_ms={p99:.1f} alone_ms={alone_ms:.1f} kiosks={args.kiosks} batch={args.batch} "
        f"workers={args.workers} ok={str(ok).lower()}"
    )
    return 0 if ok else 1


def _spread_text(spread: dict[str, int]) -> str:
    return "/".join(str(n) for n in sorted(spread.values(), reverse=True)) or "unknown (no ss)"


if __name__ == "__main__":
    sys.exit(main())
