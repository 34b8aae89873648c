"""What a kiosk asks the server about a voter it is serving (docs/server.md, "Voter status" and
"Shared lockouts"), every request signed by the kiosk:

    GET  /v1/voters/{voter_id}/status                   the scrutins this voter has voted in here
    GET  /v1/lockouts/{kind}/{subject_id}               a credential's shared failure counter
    POST /v1/lockouts/{kind}/{subject_id}/failure       count one failed attempt
    POST /v1/lockouts/{kind}/{subject_id}/success       clear it (a success, an assesseur unlock)

The voter status is read from the émargement only: which scrutins, never where, when or how. The
counters are counted here and judged on the kiosks (their lockout policy); a subject is a voter id
or, for a login, the kiosk's digest of the identifier: no secret is ever sent. Nothing here logs a
voter id or a subject.
"""

# No "from __future__ import annotations": FastAPI reads these annotations at run time.

import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from kiosk.clock import Clock, isoformat_utc
from kiosk.election.model import ID_PATTERN, VoterId
from server.auth import AuthenticatedKiosk
from server.errors import ErrorBody
from server.storage import board as board_rows
from server.storage import lockouts
from server.storage.database import Database
from server.storage.lockouts import SharedKind

VOTER_STATUS_PATH: Final = "/v1/voters/{voter_id}/status"
LOCKOUT_PATH: Final = "/v1/lockouts/{kind}/{subject_id}"
_ID_REGEX: Final = f"^{ID_PATTERN.pattern}$"

VoterIdParam = Annotated[
    str, Path(pattern=_ID_REGEX, max_length=64, description="the voter id, as on the roll")
]
SubjectParam = Annotated[
    str,
    Path(
        pattern=_ID_REGEX,
        max_length=64,
        description="a voter id, or for a login the kiosk's digest of the identifier",
    ),
]


class VoterStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    voter_id: str
    voted: list[str] = Field(
        description="the scrutins this voter has an émargement for on this server, sorted"
    )


class SharedCounter(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: SharedKind
    subject_id: str
    failures: int = Field(ge=0, description="failed attempts since the last success")
    last_failure_at: str | None = Field(
        description="RFC 3339, UTC, the server's clock; null without failures"
    )
    seconds_since_last_failure: int | None = Field(
        ge=0,
        description="how long ago the last failure was, by the server's clock: what a kiosk "
        "judges, against its own clock (clocks may differ); null without failures",
    )


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


def _counter(count: lockouts.SharedCount, now: datetime) -> SharedCounter:
    since = None
    if count.last_failure_at is not None:
        last = datetime.fromisoformat(count.last_failure_at.replace("Z", "+00:00"))
        # Rounded down: the failure never looks older than it is (the delay never shrinks).
        since = max(0, math.floor((now - last).total_seconds()))
    return SharedCounter(
        kind=count.kind,
        subject_id=count.subject_id,
        failures=count.failures,
        last_failure_at=count.last_failure_at,
        seconds_since_last_failure=since,
    )


def voter_router(
    database: Database,
    clock: Clock,
    authenticated_kiosk: Callable[..., Awaitable[AuthenticatedKiosk]],
) -> APIRouter:
    router = APIRouter(tags=["voters"])

    def status(voter_id: str) -> VoterStatus:
        with database.transaction() as tx:
            voted = board_rows.voted_scrutins(tx, VoterId(voter_id))
        return VoterStatus(voter_id=voter_id, voted=list(voted))

    def read(kind: SharedKind, subject_id: str) -> SharedCounter:
        with database.transaction() as tx:
            count = lockouts.read(tx, kind, subject_id)
        return _counter(count, clock.now())

    def failure(kind: SharedKind, subject_id: str) -> SharedCounter:
        now = clock.now()
        with database.transaction(write=True) as tx:
            count = lockouts.count_failure(tx, kind, subject_id, isoformat_utc(now))
        return _counter(count, now)

    def success(kind: SharedKind, subject_id: str) -> SharedCounter:
        with database.transaction(write=True) as tx:
            count = lockouts.clear(tx, kind, subject_id)
        return _counter(count, clock.now())

    @router.get(
        VOTER_STATUS_PATH,
        response_model=VoterStatus,
        summary="The scrutins a voter has voted in, on any kiosk (signed by the kiosk)",
        responses=_errors(401, 403, 413, 422, 503),
    )
    async def voter_status(
        voter_id: VoterIdParam, _kiosk: Annotated[AuthenticatedKiosk, Depends(authenticated_kiosk)]
    ) -> VoterStatus:
        return await run_in_threadpool(status, voter_id)

    @router.get(
        LOCKOUT_PATH,
        response_model=SharedCounter,
        tags=["lockouts"],
        summary="A credential's failed attempts on every kiosk (signed by the kiosk)",
        responses=_errors(401, 403, 413, 422, 503),
    )
    async def read_lockout(
        kind: SharedKind,
        subject_id: SubjectParam,
        _kiosk: Annotated[AuthenticatedKiosk, Depends(authenticated_kiosk)],
    ) -> SharedCounter:
        return await run_in_threadpool(read, kind, subject_id)

    @router.post(
        LOCKOUT_PATH + "/failure",
        response_model=SharedCounter,
        tags=["lockouts"],
        summary="Count one failed attempt of a credential (signed by the kiosk)",
        responses=_errors(401, 403, 413, 422, 503),
    )
    async def lockout_failure(
        kind: SharedKind,
        subject_id: SubjectParam,
        _kiosk: Annotated[AuthenticatedKiosk, Depends(authenticated_kiosk)],
    ) -> SharedCounter:
        return await run_in_threadpool(failure, kind, subject_id)

    @router.post(
        LOCKOUT_PATH + "/success",
        response_model=SharedCounter,
        tags=["lockouts"],
        summary="Clear a credential's failed attempts: a success, or an assesseur's unlock",
        responses=_errors(401, 403, 413, 422, 503),
    )
    async def lockout_success(
        kind: SharedKind,
        subject_id: SubjectParam,
        _kiosk: Annotated[AuthenticatedKiosk, Depends(authenticated_kiosk)],
    ) -> SharedCounter:
        return await run_in_threadpool(success, kind, subject_id)

    return router
