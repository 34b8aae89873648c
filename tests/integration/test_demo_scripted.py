"""``isoloir demo --scripted N``: the whole demo election, headless, at two kiosks (one online
through the real local server, one offline by bundle), tallied, verified and compared with the
script; and ``isoloir demo tally`` on a small demo, with a real local server.

Each test runs the real ``isoloir server`` child processes; the voters go through the kiosks'
``VotingSession`` as the kiosk window drives it.
"""

from __future__ import annotations

import contextlib
import csv
import random
import re
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.clock import SystemClock
from kiosk.demo import scripted
from kiosk.demo import tally as demo_tally
from kiosk.demo.layout import OFFLINE_KIOSK, ONLINE_KIOSK, DemoKiosk
from kiosk.demo.voters import ScriptedBooth, ScriptedVoter, write_script
from kiosk.election import package
from kiosk.election.demo import DemoCredential, build_demo
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import BLANK_OPTION, ListId, ScrutinId, VoterId
from kiosk.record.layout import RecordLayout
from kiosk.store import KioskStore, PollsState, StoreKey, SyncState
from kiosk.tally.results import ElectionResults, results_from_json
from kiosk.verifier.record import verify_record
from kiosk.verifier.report import Check, Report
from kiosk.voting.session import KioskElection, VotingSession


def test_a_scripted_election_of_200_voters_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "scripted"
    assert main(["demo", "--scripted", "200", "--seed", "11", str(root)]) == 0
    out = capsys.readouterr().out
    assert "PASS: scripted election of 200 voters" in out
    assert "Results = script: all 32 counts of 3 scrutins, blank included" in out
    assert "Verifier: the record verifies" in out
    online = re.search(r"kiosk-01 \(online\): +(\d+) ballot\(s\), (\d+) in the ballot box", out)
    offline = re.search(r"kiosk-02 \(offline\): (\d+) ballot\(s\), by bundle; accepted: (\d+)", out)
    board = re.search(r"Board: (\d+) ballot\(s\)", out)
    assert online
    assert offline
    assert board
    # Each kiosk took ballots; kiosk-01's each went into the ballot box at its cast, kiosk-02's
    # all came by the bundle, and the board holds them all.
    assert int(online[1]) > 0
    assert online[1] == online[2]
    assert int(offline[1]) > 0
    assert offline[1] == offline[2]
    assert int(board[1]) == int(online[1]) + int(offline[1])
    # What stays in DIR: the record verifies again on its own; each kiosk's reports are saved.
    layout = DemoKiosk(root)
    assert verify_record(layout.record).passed
    assert (layout.bundles / f"{OFFLINE_KIOSK}.isoloir-bundle").is_file()
    for kiosk_id in (ONLINE_KIOSK, OFFLINE_KIOSK):
        reports = sorted(p.name for p in (layout.reports / kiosk_id).glob("*.pdf"))
        assert reports == ["0001-opening.pdf", "0002-closing.pdf"]


def test_a_tally_that_differs_from_the_script_fails_the_election(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The comparison, fed an expectation with one blank vote too many, makes the election fail
    (exit status 1) and names the count."""
    compare = scripted.count_mismatches

    def one_blank_more(
        expected: Mapping[ScrutinId, Counter[ListId]], results: ElectionResults
    ) -> list[str]:
        tampered = {scrutin_id: Counter(counts) for scrutin_id, counts in expected.items()}
        tampered[ScrutinId("csa-ministeriel")][BLANK_OPTION] += 1
        return compare(tampered, results)

    monkeypatch.setattr(scripted, "count_mismatches", one_blank_more)
    assert main(["demo", "--scripted", "12", "--seed", "3"]) == 1
    out = capsys.readouterr().out
    assert "Results differ from the script in 1 count(s):" in out
    assert re.search(r"csa-ministeriel / blank: (\d+) counted, (\d+) scripted", out)
    assert "Verifier: the record verifies" in out  # the record is sound; the count is not
    assert "FAIL: scripted election of 12 voters" in out


def test_the_script_has_abstentions_blank_votes_and_voters_in_both_scrutins() -> None:
    """Seeded: the same seed writes the same script; it has every kind of voter the comparison
    must get right, and only voters with a working vote code come to a kiosk."""
    demo = build_demo(now=SystemClock().now(), voters=60, kdf=KdfProfile.TEST.value, seed=4)
    kiosks = (ONLINE_KIOSK, OFFLINE_KIOSK)
    script = write_script(demo.credentials, demo.package.manifest, kiosks, random.Random(9))
    again = write_script(demo.credentials, demo.package.manifest, kiosks, random.Random(9))
    assert [(v.kiosk, v.choices) for v in script.voters] == [
        (v.kiosk, v.choices) for v in again.voters
    ]
    assert script.abstaining > 0
    assert script.blank > 0
    assert script.in_several_scrutins > 0
    assert all(v.credential.vote_code is not None for v in script.voters if v.choices)
    assert all(script.ballots(kiosk) > 0 for kiosk in kiosks)
    assert sum(sum(c.values()) for c in script.expected.values()) == sum(
        script.ballots(kiosk) for kiosk in kiosks
    )


# ---- demo tally ------------------------------------------------------------------------------


@pytest.fixture
def small_demo(tmp_path: Path) -> DemoKiosk:
    layout = DemoKiosk(tmp_path / "demo")
    with contextlib.redirect_stdout(None):
        code = main(["demo", "setup", str(layout.root), "--voters", "8", "--kdf", "test"])
    assert code == 0
    return layout


def _credentials(layout: DemoKiosk) -> list[DemoCredential]:
    with layout.credentials.open(encoding="utf-8", newline="") as source:
        return [
            DemoCredential(
                voter_id=VoterId(row["voter_id"]),
                identifier=row["identifier"],
                display_name=row["display_name"],
                password=row["password"],
                vote_code=row["vote_code"] or None,
                secret_question=row["secret_question"],
                secret_answer=row["secret_answer"],
                numen=row["numen"],
                personal_email=row["personal_email"],
                phone=row["phone"],
                scrutins=tuple(ScrutinId(s) for s in row["scrutins"].split()),
            )
            for row in csv.DictReader(source)
        ]


@contextlib.contextmanager
def _store(layout: DemoKiosk) -> Iterator[KioskStore]:
    with KioskStore.open(
        layout.store, StoreKey.from_key_file(layout.key_file), SystemClock()
    ) as store:
        yield store


def test_demo_tally_closes_syncs_tallies_and_verifies(
    small_demo: DemoKiosk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = small_demo
    voter = next(c for c in _credentials(layout) if c.vote_code is not None)
    first, second = voter.scrutins
    sealed = package.load(layout.package)
    choices = ((first, sealed.manifest.scrutin(first).lists[0].id), (second, BLANK_OPTION))
    with _store(layout) as store:  # the kiosk offline, as the tour runs it: ballots wait
        clock = SystemClock()
        source = random.Random(5)
        session = VotingSession(store, clock, KioskElection.from_store(store), captcha_rng=source)
        ScriptedBooth(session, source).vote(ScriptedVoter(voter, ONLINE_KIOSK, choices))
        assert [e.state for e in store.outbox()] == [SyncState.PENDING] * 2

    assert main(["demo", "tally", str(layout.root)]) == 0
    out = capsys.readouterr().out
    assert "Polls closed by the assesseur at kiosk kiosk-01: " in out
    assert "Kiosk synced: 2 ballot(s) accepted now" in out
    assert "the record verifies: all 12 checks pass" in out
    assert f"Results PDF: {layout.record / 'results.pdf'}" in out

    record = RecordLayout(layout.record)
    assert verify_record(record.root).passed
    assert record.results_pdf.read_bytes().startswith(b"%PDF")
    results = results_from_json(record.results_json.read_bytes())
    counted = {
        s.scrutin_id: {option: n for option, n in zip(s.options, s.counts, strict=True) if n}
        for s in results.scrutins
    }
    assert {sid: counts for sid, counts in counted.items() if counts} == {
        scrutin_id: {option: 1} for scrutin_id, option in choices
    }
    assert len(record.partial_files()) == 3  # any 3 of the 5 trustees
    with _store(layout) as store:
        assert store.polls_state() is PollsState.CLOSED
        assert {e.state for e in store.outbox()} == {SyncState.ACCEPTED}
    closing = sorted(p.name for p in (layout.reports / "kiosk-01").glob("*-closing.pdf"))
    assert len(closing) == 1

    assert main(["demo", "tally", str(layout.root)]) == 1  # tallied already: nothing redone
    assert "was tallied" in capsys.readouterr().err

    # Once more from the server's database, with a verifier that finds a fault: exit status 1.
    shutil.rmtree(layout.record)
    failing = Report(
        layout.record, (Check("results", "results follow from the counts", False, "tampered"),)
    )
    monkeypatch.setattr(demo_tally, "verify_record", lambda _: failing)
    assert main(["demo", "tally", str(layout.root)]) == 1
    out = capsys.readouterr().out
    assert "were closed already" in out
    assert "FAIL  results" in out
    assert "does NOT verify" in out


def test_a_scripted_election_whose_trustees_cannot_decrypt_stops_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trustee's state that does not open (the wrong passphrase) stops the election with an
    error on one line, not a traceback; no half record is left, and the passphrase is not
    shown."""
    wrong = "not-the-trustees-passphrase"
    monkeypatch.setattr(demo_tally, "DEMO_PASSPHRASE", wrong)
    root = tmp_path / "run"
    assert main(["demo", "--scripted", "2", str(root)]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(r"isoloir: scripted election stopped: [^\n]+\n", err), err
    assert wrong not in err
    assert not DemoKiosk(root).record.exists()
