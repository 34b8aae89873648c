"""The online kiosk's links to the central server while a voter waits (docs/voter-flow.md,
"Online kiosk"): the at-cast upload, the voter-status check and the shared lockout counters.

Each adapter turns the ``ServerClient``'s values into what the voting session asks for, within a
short bound, and never raises for an unreachable or slow server: ``None`` (or ``PENDING``) means
"go on with what the kiosk knows". After a failure they stay quiet for ``quiet_after_failure``
(``Link``): a server that is down costs one timeout, not one per question of every voter.
Logs carry the failure's kind only: never a voter id, a subject or a choice.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta
from typing import Final

from kiosk.clock import Clock
from kiosk.election.model import ScrutinId, VoterId
from kiosk.log import LogEvent, log_event
from kiosk.store.records import SyncState
from kiosk.sync.client import FailureKind, ServerClient, ServerFailure, SharedCounter
from kiosk.sync.outbox import OutboxSync, SyncReport
from kiosk.voting.lockout import SharedFailures, Subject

_LOGGER: Final = logging.getLogger("kiosk.sync")
DEFAULT_QUIET: Final = timedelta(seconds=30)


class Link:
    """Whether to ask the server now: after a failure, not before ``quiet_after_failure``."""

    def __init__(self, clock: Clock, *, quiet_after_failure: timedelta = DEFAULT_QUIET) -> None:
        self._clock = clock
        self._quiet = quiet_after_failure
        self._lock = threading.Lock()
        self._quiet_until: datetime | None = None

    @property
    def clock(self) -> Clock:
        return self._clock

    def usable(self) -> bool:
        with self._lock:
            return self._quiet_until is None or self._clock.now() >= self._quiet_until

    def failed(self, failure: ServerFailure, where: str) -> None:
        with self._lock:
            self._quiet_until = self._clock.now() + self._quiet
        log_event(
            _LOGGER,
            LogEvent.SERVER_CALL,
            logging.WARNING,
            disposition="unavailable",
            reason=failure.kind.value,
            where=where,
        )

    def answered(self) -> None:
        with self._lock:
            self._quiet_until = None


class AtCastUpload:
    """``VotingSession``'s uploader: ``OutboxSync.push(only=[id], timeout=...)`` on a thread of
    its own, waited for at most ``timeout`` seconds in all (the client's timeout bounds each
    phase of a request, and the outbox's lock may be held by the background sync): the cast
    never waits longer. A push still running then goes on and records its answer when it comes.
    """

    def __init__(self, outbox: OutboxSync, *, timeout: float, link: Link | None = None) -> None:
        self._outbox = outbox
        self._timeout = timeout
        self._link = link
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="isoloir-at-cast")

    def __repr__(self) -> str:
        return f"AtCastUpload(timeout={self._timeout})"

    def deposit(self, envelope_id: bytes) -> SyncState:
        if self._link is not None and not self._link.usable():
            return SyncState.PENDING  # the server failed moments ago: the background sync will
        future: Future[SyncReport] = self._pool.submit(
            self._outbox.push, only=[envelope_id], timeout=self._timeout
        )
        try:
            report = future.result(timeout=self._timeout)
        except FutureTimeout:
            self._failed(ServerFailure(FailureKind.TIMEOUT, "the upload did not end in time"))
            return SyncState.PENDING
        if report.failure is not None:
            self._failed(report.failure)
        elif self._link is not None:
            self._link.answered()
        if report.rejected:
            return SyncState.REJECTED
        if report.accepted + report.duplicates >= 1 and report.complete:
            return SyncState.ACCEPTED
        return SyncState.PENDING

    def _failed(self, failure: ServerFailure) -> None:
        if self._link is not None:
            self._link.failed(failure, "at_cast_upload")

    def close(self) -> None:
        """Stop taking uploads; a push under way finishes (bounded by the client's timeout)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class ServerVoterStatus:
    """``VotingSession``'s voter-status check: ``ServerClient.voter_status``, or None."""

    def __init__(self, client: ServerClient, link: Link, *, timeout: float) -> None:
        self._client = client
        self._link = link
        self._timeout = timeout

    def __repr__(self) -> str:
        return "ServerVoterStatus()"

    def voted_scrutins(self, voter_id: VoterId) -> frozenset[ScrutinId] | None:
        if not self._link.usable():
            return None
        answer = self._client.voter_status(voter_id, timeout=self._timeout)
        if isinstance(answer, ServerFailure):
            self._link.failed(answer, "voter_status")
            return None
        self._link.answered()
        return answer


class ServerLockouts:
    """``CredentialGuard``'s shared counters: ``ServerClient``'s lockout calls, or None."""

    def __init__(self, client: ServerClient, link: Link, *, timeout: float) -> None:
        self._client = client
        self._link = link
        self._timeout = timeout

    def __repr__(self) -> str:
        return "ServerLockouts()"

    def read(self, subject: Subject) -> SharedFailures | None:
        return self._call("read", subject)

    def count_failure(self, subject: Subject) -> SharedFailures | None:
        return self._call("failure", subject)

    def clear(self, subject: Subject) -> bool:
        return self._call("success", subject) is not None

    def _call(self, action: str, subject: Subject) -> SharedFailures | None:
        if not self._link.usable():
            return None
        kind, timeout = subject.kind.value, self._timeout
        answer: SharedCounter | ServerFailure
        if action == "read":
            answer = self._client.shared_counter(kind, subject.id, timeout=timeout)
        elif action == "failure":
            answer = self._client.count_failure(kind, subject.id, timeout=timeout)
        else:
            answer = self._client.clear_failures(kind, subject.id, timeout=timeout)
        if isinstance(answer, ServerFailure):
            self._link.failed(answer, f"lockout_{action}")
            return None
        self._link.answered()
        # The server says how long ago by its own clock; placed on this kiosk's clock, so that a
        # skew between the two neither shortens nor lengthens the delays. Measured on arrival:
        # the network time only makes the failure look more recent (a longer wait, never shorter).
        since = answer.seconds_since_last_failure
        last = None if since is None else self._link.clock.now() - timedelta(seconds=since)
        return SharedFailures(answer.failures, last)
