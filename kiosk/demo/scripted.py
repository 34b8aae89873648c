"""``isoloir demo --scripted N``: the whole demo election, headless, checked against its script.

N demo voters (``kiosk.demo.voters``: seeded choices, blank votes, abstentions, voters in both
of their scrutins) vote at two kiosks: kiosk-01 is online, each cast uploaded at once to the
local server (``isoloir server run``, a child process) over HTTP; kiosk-02 is offline, and its
ballots reach the server in a signed bundle (``kiosk.bundle.export``, then ``isoloir server
import-bundle``). The assesseur closes both kiosks' polls; then the record is exported, three of
the five demo trustees decrypt, the results are combined and the verifier runs
(``kiosk.demo.tally``). The election passes when the record verifies and every count, per
scrutin and option, blank included, equals the script's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from kiosk.admin.operators import Operators
from kiosk.bundle.export import export_bundle
from kiosk.clock import Clock
from kiosk.config import KioskConfig
from kiosk.demo import operators
from kiosk.demo.build import build_election, make_kiosk
from kiosk.demo.layout import OFFLINE_KIOSK, ONLINE_KIOSK, DemoKiosk
from kiosk.demo.local_server import LocalServer, free_loopback_port, import_bundle
from kiosk.demo.online import ensure_enrolled, kiosk_client
from kiosk.demo.tally import DemoTally, tally_record
from kiosk.demo.voters import Script, ScriptedBooth, count_mismatches, write_script
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import KioskId
from kiosk.sync.links import OnlineLinks
from kiosk.sync.outbox import SyncReport
from kiosk.voting.session import KioskElection, VotingSession

if TYPE_CHECKING:
    from kiosk.store import KioskStore

KIOSKS: Final = (ONLINE_KIOSK, OFFLINE_KIOSK)


@dataclass(frozen=True)
class ScriptedElection:
    script: Script
    ballots: Mapping[KioskId, int]  # receipts each kiosk gave
    deposited_at_cast: int  # kiosk-01's receipts that said "déposé dans l'urne"
    late_sync: SyncReport  # kiosk-01's outbox sync after the close (what the cast left)
    bundle: Path | None  # None: kiosk-02 took no ballot, so there was nothing to carry
    bundle_import: str  # what isoloir server import-bundle printed ("" without a bundle)
    tally: DemoTally
    mismatches: tuple[str, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return self.tally.verification.passed and not self.mismatches


def run_scripted(
    root: Path,
    *,
    voters: int,
    seed: int,
    clock: Clock,
    step: Callable[[str], None] = lambda _: None,
) -> ScriptedElection:
    """The whole election in ``root`` (an existing, empty folder); ``step`` hears what starts.
    Raises ``LocalServerError``, ``ScriptError``, ``AdminError``, ``RecordError``,
    ``StoreError``, ``ExportError`` or one of ``tally_record``'s errors when a step cannot be
    done; a tally that differs is a value."""
    started = time.perf_counter()
    layout = DemoKiosk(root)
    step(f"demo election for {voters} voters, trustees' key ceremony, sealed package")
    built = build_election(
        layout,
        now=clock.now(),
        voters=voters,
        kdf=KdfProfile.DEMO.value,
        seed=seed,
        port=free_loopback_port(),
    )
    rng = random.Random(f"isoloir-demo-scripted/{seed}")
    script = write_script(built.credentials, built.package.manifest, KIOSKS, rng)
    stores: dict[KioskId, KioskStore] = {}
    try:
        for kiosk_id in KIOSKS:
            stores[kiosk_id] = make_kiosk(
                layout, kiosk_id, built.package, built.kiosk_keys[kiosk_id], clock
            )
        signed = built.package.manifest.server
        if signed is None:
            raise AssertionError("build_election names a server")
        step(f"local server on {signed.url}; kiosk-01 online, kiosk-02 offline")
        with LocalServer.start(layout, signed, built.package.fingerprint):
            online = KioskElection.from_store(stores[ONLINE_KIOSK])
            links = OnlineLinks(
                stores[ONLINE_KIOSK],
                kiosk_client(online, clock),
                clock,
                timeout=KioskConfig().server_timeout,
            )
            try:
                ensure_enrolled(layout, links.client, online)
                booths = {
                    ONLINE_KIOSK: _booth(stores[ONLINE_KIOSK], clock, seed, links),
                    OFFLINE_KIOSK: _booth(stores[OFFLINE_KIOSK], clock, seed, None),
                }
                step(f"{len(script.voters)} scripted voters vote")
                for voter in script.voters:
                    booths[voter.kiosk].vote(voter)
                step("the assesseur closes the polls at both kiosks; kiosk-01 syncs")
                for kiosk_id in KIOSKS:
                    operators.close_polls(stores[kiosk_id], clock, layout.kiosk_reports(kiosk_id))
                late_sync = links.outbox.push()
            finally:
                links.close()
            bundle, imported = _carry_bundle(layout, stores[OFFLINE_KIOSK], step)
    finally:
        for store in stores.values():
            store.close()
    step("record exported; 3 of 5 trustees decrypt; results combined; verifier")
    tally = tally_record(layout, rng)
    return ScriptedElection(
        script=script,
        ballots={kiosk_id: len(booth.receipts) for kiosk_id, booth in booths.items()},
        deposited_at_cast=booths[ONLINE_KIOSK].deposited_at_cast,
        late_sync=late_sync,
        bundle=bundle,
        bundle_import=imported,
        tally=tally,
        mismatches=tuple(count_mismatches(script.expected, tally.results)),
        seconds=time.perf_counter() - started,
    )


def _carry_bundle(
    layout: DemoKiosk, store: KioskStore, step: Callable[[str], None]
) -> tuple[Path | None, str]:
    """kiosk-02's ballots on removable media: exported as a signed bundle, imported by the
    server; nothing when it took no ballot."""
    if not store.outbox():
        step("kiosk-02 took no ballot: no bundle to carry")
        return None, ""
    step("kiosk-02's bundle, on removable media, imported by the server")
    layout.bundles.mkdir()
    bundle = layout.bundles / f"{OFFLINE_KIOSK}.isoloir-bundle"
    export_bundle(store, bundle)
    return bundle, import_bundle(layout, bundle)


def _booth(store: KioskStore, clock: Clock, seed: int, links: OnlineLinks | None) -> ScriptedBooth:
    """A voting session built as the kiosk window builds it (online when ``links``)."""
    election = KioskElection.from_store(store)
    supervisor = Operators(store, clock).supervisor_check()
    captcha_source = random.Random(f"isoloir-demo-captcha/{seed}/{election.kiosk.kiosk_id}")
    session = VotingSession(
        store,
        clock,
        election,
        config=KioskConfig(),
        assesseur_check=supervisor,
        captcha_rng=captcha_source,
        uploader=links.uploader if links else None,
        voter_status=links.voter_status if links else None,
        shared_lockouts=links.lockouts if links else None,
    )
    return ScriptedBooth(session, captcha_source)
