"""The outbox sync: send the store's sealed ballots to the central server until each one has an
answer (docs/store.md, "Outbox states and sync"; docs/server.md, "Kiosk sync").

Qt-free. ``OutboxSync.push`` sends every ballot still ``pending`` or ``exported`` in batches and
writes each batch's answers to the store in one transaction as soon as they arrive. Nothing is
lost: a ballot leaves ``pending``/``exported`` only for an acceptance or a refusal that is final
by nature (``FINAL_REASONS``: the server stored it as a conflict, or no retry and no bundle could
ever change the answer). Any other refusal (``outside_window``, ``bad_signature``,
``election_not_sealed``, ...) is *held*: the ballot keeps its state and the reason, is sent again
at the next push and stays in ``isoloir admin export``'s bundles, whose import judges the window
by the kiosk's signed statement. A crash or a cut connection at any point leaves the rest where
they were; sending one again is safe because the server answers an envelope id it has seen with
its earlier answer (``duplicate``).

A failed attempt starts an exponential backoff with jitter (``Backoff``). Its state lives in
memory only, on purpose: after a restart the kiosk tries at once, which is what an operator
restarting it expects, and a stale backoff is never read back from disk. Time comes from the
injected clock and jitter from an injected random source, so tests never sleep.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeAlias

from kiosk.clock import Clock
from kiosk.log import LogEvent, log_event
from kiosk.store import KioskStore, OutboxEntry, SyncState
from kiosk.sync.client import ServerClient, ServerFailure, UploadAnswer, UploadStatus

EnvelopeId: TypeAlias = bytes
"""An envelope id: the 16 random bytes the store keys the outbox by (``ENVELOPE_ID_BYTES``)."""

DEFAULT_BATCH: Final = 100
_TOO_LARGE: Final = 413
_UNSETTLED: Final = (SyncState.PENDING, SyncState.EXPORTED)
_UNKNOWN: Final = "unknown"  # a refusal without a reason code: held, never final

FINAL_REASONS: Final = frozenset(
    {
        "already_voted",  # stored by the server as a conflict: the voter's other ballot counts
        "envelope_id_reused",  # the server holds other bytes under this id for good
        "duplicate_tracking_code",  # this ballot is on the board already (append-only)
        "not_eligible",  # the roll is the signed package's, the same the receipt is bound to
        "cast_outside_window",  # the kiosk's own signed statement: cast outside the window
    }
)
"""The server's refusals that no retry and no bundle can change: the ballot becomes ``rejected``.
Every other refusal is held (docs/store.md, "Outbox states and sync")."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncReport:
    """What one ``push`` did. ``accepted``: in the ballot box now; ``duplicates``: the server had
    them already (accepted at an earlier upload whose answer was lost, or through a bundle);
    ``rejected``: refused for good (a reason of ``FINAL_REASONS``, kept in the store);
    ``pending``: of the ballots this push was asked for, those still without an answer;
    ``held``: refused for a reason that is not final (kept in the store): still ``pending`` or
    ``exported``, sent again next time, and exportable to removable media."""

    accepted: int
    duplicates: int
    rejected: int
    pending: int  # left to send
    failure: ServerFailure | None  # why the last attempt stopped early (None: all sent)
    held: int = 0  # refused for now: kept, retried, exportable

    @property
    def complete(self) -> bool:
        return self.pending == 0 and self.held == 0 and self.failure is None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with "equal jitter": after ``n`` failures in a row the next attempt
    waits ``d / 2 + uniform(0, d / 2)`` where ``d = min(ceiling, first * 2 ** (n - 1))``."""

    first: timedelta = timedelta(seconds=5)
    ceiling: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if not timedelta(0) < self.first <= self.ceiling:
            raise ValueError("a backoff needs 0 < first <= ceiling")

    def delay(self, failures: int, rng: random.Random) -> timedelta:
        if failures < 1:
            return timedelta(0)
        # Cap the exponent: 2 ** 40 seconds is far beyond any ceiling, and floats stay finite.
        span: timedelta = min(self.ceiling, self.first * 2 ** min(failures - 1, 40))
        return span / 2 + span / 2 * rng.random()


class OutboxSync:
    """Sends this kiosk's outbox to the server. ``push`` may be called from any thread; two
    calls never interleave (a lock), so an at-cast upload and a periodic run share one outbox."""

    def __init__(
        self,
        store: KioskStore,
        client: ServerClient,
        clock: Clock,
        *,
        batch: int = DEFAULT_BATCH,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """``batch``: envelopes per request (the server takes at most 1,000). ``rng``: the jitter's
        source (tests pass a seeded ``random.Random``); default ``random.SystemRandom()``."""
        if not 1 <= batch <= 1000:
            raise ValueError("a batch is 1 to 1,000 envelopes")
        self._store = store
        self._client = client
        self._clock = clock
        self._batch = batch
        self._backoff = backoff or Backoff()
        self._rng = rng or random.SystemRandom()
        self._lock = threading.Lock()
        self._failures = 0
        self._next_attempt: datetime | None = None

    # ---- the backoff ---------------------------------------------------------------------------

    @property
    def failures(self) -> int:
        """Failed attempts in a row (0 after any attempt the server answered)."""
        return self._failures

    @property
    def next_attempt(self) -> datetime | None:
        """When the backoff allows the next automatic attempt; None: at any time."""
        return self._next_attempt

    def due(self, now: datetime) -> bool:
        """The backoff says it is time to try again (always, before any failure)."""
        return self._next_attempt is None or now >= self._next_attempt

    def run_due(self, now: datetime) -> SyncReport | None:
        """``push()`` when ``due(now)``, else None (nothing sent)."""
        return self.push() if self.due(now) else None

    def _failed(self) -> None:
        self._failures += 1
        self._next_attempt = self._clock.now() + self._backoff.delay(self._failures, self._rng)

    def _answered(self) -> None:
        self._failures = 0
        self._next_attempt = None

    # ---- sending -------------------------------------------------------------------------------

    def push(
        self,
        *,
        only: Sequence[EnvelopeId] | None = None,
        timeout: float | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> SyncReport:
        """Send every ballot still ``pending`` or ``exported`` (or only those of ``only`` that
        are), in batches, and record each batch's answers before sending the next. Stops at
        the first failure (unreachable, timeout, refused, ...), which the report carries and
        the backoff counts. ``timeout``: seconds per request (the client's default otherwise).
        ``progress(done, total)``: called before the first batch and after each answered one.
        Raises only for a broken invariant (an envelope of another kiosk in the outbox)."""
        with self._lock:
            return self._push(only, timeout, progress)

    def _push(
        self,
        only: Sequence[EnvelopeId] | None,
        timeout: float | None,
        progress: Callable[[int, int], None] | None,
    ) -> SyncReport:
        todo = self._unsettled(only)
        total = len(todo)
        log_event(logger, LogEvent.OUTBOX_SYNC, disposition="start", count=total)
        accepted = duplicates = rejected = held = done = 0
        size = self._batch
        failure: ServerFailure | None = None
        if progress is not None:
            progress(0, total)
        while done < total:
            chunk = todo[done : done + size]
            answers = self._client.upload([entry.envelope for entry in chunk], timeout=timeout)
            if isinstance(answers, ServerFailure):
                if _too_large(answers) and size > 1:
                    size = max(1, size // 2)  # the server's body limit: smaller requests
                    continue
                failure = answers
                break
            news, again, refused, kept = self._record(answers)
            accepted, duplicates, rejected = accepted + news, duplicates + again, rejected + refused
            held += kept
            done += len(chunk)
            self._answered()
            if progress is not None:
                progress(done, total)
        if failure is not None or held:
            self._failed()  # held ballots wait for the backoff too: the server refused them now
        # Counts and the failure's kind only: no envelope id, no server detail.
        log_event(
            logger,
            LogEvent.OUTBOX_SYNC,
            logging.INFO if failure is None else logging.WARNING,
            disposition="complete" if failure is None else "stopped",
            count=done,
            reason=None if failure is None else failure.kind.value,
        )
        return SyncReport(accepted, duplicates, rejected, total - done, failure, held)

    def _unsettled(self, only: Sequence[EnvelopeId] | None) -> list[OutboxEntry]:
        entries = [entry for state in _UNSETTLED for entry in self._store.outbox(state)]
        if only is None:
            return entries
        wanted = set(only)
        return [entry for entry in entries if entry.envelope_id in wanted]

    def _record(self, answers: list[UploadAnswer]) -> tuple[int, int, int, int]:
        """Write one batch's answers to the store; (accepted now, duplicates, rejected, held)."""
        accepted = [a.envelope_id for a in answers if a.accepted]
        refusals = [(a.envelope_id, a.reason or _UNKNOWN) for a in answers if not a.accepted]
        refused = [(i, reason) for i, reason in refusals if reason in FINAL_REASONS]
        held = [(i, reason) for i, reason in refusals if reason not in FINAL_REASONS]
        self._store.record_sync_answers(accepted, refused, held)
        duplicates = sum(1 for a in answers if a.accepted and a.status is UploadStatus.DUPLICATE)
        return len(accepted) - duplicates, duplicates, len(refused), len(held)


def _too_large(failure: ServerFailure) -> bool:
    """413: the request was over the server's body limit (with or without the API's body)."""
    return failure.status == _TOO_LARGE
