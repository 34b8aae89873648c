"""``isoloir admin ...`` end to end on a real store: first-run setup, operators, the polls and
their signed reports (printed through a real CUPS queue when one can run), the dashboard after
real casts, the journal, diagnostics, the printer test page, the supervised réassort, and a
first run that downloads its package from a real server on loopback."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.admin.reports import verify_report_pdf
from kiosk.audit import AuditEvent
from kiosk.cli import main
from kiosk.clock import ManualClock
from kiosk.election import package, signing
from kiosk.election.kdf import SecretKind, verify_secret
from kiosk.election.model import ElectionPackage, ListId, ScrutinId, VoterId
from kiosk.store import KioskStore, PollsState, StoreKey
from kiosk.voting import flow
from server.app import create_app, server_state
from server.enrollment import issue_token
from server.settings import ServerSettings
from tests.cups_server import CupsServer, missing
from tests.server.harness import ServerThread, make_election
from tests.unit.test_voting_world import Kiosk, VoterSecrets, sealed_election

CHEF, CHEF_PIN = "chef", "246802"
ASSESSEUR, ASSESSEUR_PIN = "bureau", "135791"


@dataclass(frozen=True)
class Setup:
    store: Path
    key: Path
    package: ElectionPackage

    def opts(self) -> list[str]:
        return ["--store", str(self.store), "--key-file", str(self.key)]

    def as_operator(self, name: str) -> list[str]:
        return [*self.opts(), "--operator", name]

    def open(self) -> KioskStore:
        return KioskStore.open(self.store, StoreKey.from_key_file(self.key), ManualClock())


@pytest.fixture
def setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Setup:
    sealed, seed = sealed_election()
    folder = tmp_path / "package"
    package.write(sealed, folder)
    pem = tmp_path / "kiosk-01.key"
    signing.save_private_key(Ed25519PrivateKey.from_private_bytes(seed), pem)
    made = Setup(tmp_path / "kiosk" / "kiosk.db", tmp_path / "kiosk" / "store.key", sealed)
    monkeypatch.setenv("ISOLOIR_NEW_OPERATOR_PIN", CHEF_PIN)
    argv = ["admin", "setup", "--store", str(made.store), "--new-key-file", str(made.key)]
    argv += ["--kiosk-id", "kiosk-01", "--kiosk-key", str(pem), "--admin", CHEF]
    argv += ["--package", str(folder), "--expect-fingerprint", sealed.fingerprint.lower()]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"Administrator account: {CHEF}" in out
    assert f"Package loaded: {sealed.fingerprint}" in out
    assert "The fingerprint matches the expected one." in out
    monkeypatch.setenv("ISOLOIR_OPERATOR_PIN", CHEF_PIN)
    monkeypatch.setenv("ISOLOIR_NEW_OPERATOR_PIN", ASSESSEUR_PIN)
    add = ["admin", "operator", "add", ASSESSEUR, "--role", "assesseur", *made.as_operator(CHEF)]
    assert main(add) == 0
    assert f"Operator {ASSESSEUR} added (assesseur)." in capsys.readouterr().out
    monkeypatch.delenv("ISOLOIR_NEW_OPERATOR_PIN")
    return made


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    pin: str,
    *argv: str,
) -> tuple[int, str, str]:
    monkeypatch.setenv("ISOLOIR_OPERATOR_PIN", pin)
    code = main(["admin", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cast_blank(kiosk: Kiosk, voter: VoterSecrets, scrutin: str) -> None:
    kiosk.to_scrutins(voter)
    kiosk.send(flow.ChooseScrutin(ScrutinId(scrutin)))
    kiosk.send(flow.ArmSelection())
    kiosk.send(flow.Select(ListId("blank")))
    assert isinstance(kiosk.send(flow.CastVote()), flow.Receipt)
    kiosk.send(flow.Quit())
    kiosk.send(flow.Continue())


def test_a_polling_day_from_the_command_line(
    setup: Setup,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    as_assesseur = setup.as_operator(ASSESSEUR)
    as_chef = setup.as_operator(CHEF)

    code, out, _ = run(monkeypatch, capsys, CHEF_PIN, "operator", "list", *as_chef)
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()] == [
        [ASSESSEUR, "assesseur"],
        [CHEF, "administrator"],
    ]

    code, out, _ = run(monkeypatch, capsys, ASSESSEUR_PIN, "polls", "open", *as_assesseur)
    assert code == 0
    assert "Polls: open" in out
    [shown] = [line for line in out.splitlines() if line.startswith("Procès-verbal d'ouverture: ")]
    opening = Path(shown.removeprefix("Procès-verbal d'ouverture: "))
    assert opening.parent == setup.store.parent / "reports"
    assert opening.is_file()
    report = verify_report_pdf(opening.read_bytes(), setup.package)
    assert report.ballots_total == 0
    assert report.operator.name == ASSESSEUR

    # Two voters vote (a real session on the same store), then the dashboard counts them.
    with setup.open() as store:
        kiosk = Kiosk(tmp_path / "voting", ManualClock(), store=store, captcha=False)
        cast_blank(kiosk, VoterSecrets(0), "capn")
        cast_blank(kiosk, VoterSecrets(1), "cap")
    code, out, _ = run(monkeypatch, capsys, ASSESSEUR_PIN, "dashboard", *as_assesseur)
    assert code == 0
    assert "Ballots cast: 2" in out
    assert "  capn: 1" in out
    assert "  cap: 1" in out
    assert "2 queued, 0 synced, 0 held" in out
    assert "offline kiosk" in out

    assert run(monkeypatch, capsys, ASSESSEUR_PIN, "polls", "pause", *as_assesseur)[:2] == (
        0,
        "Polls: paused\n",
    )
    code, out, _ = run(monkeypatch, capsys, ASSESSEUR_PIN, "polls", "close", *as_assesseur)
    assert code == 0
    assert "Polls: closed" in out
    closing = next((setup.store.parent / "reports").glob("*-closing.pdf"))
    assert verify_report_pdf(closing.read_bytes(), setup.package).ballots_total == 2

    code, _, err = run(monkeypatch, capsys, ASSESSEUR_PIN, "polls", "reopen", *as_assesseur)
    assert code == 1
    assert "not allowed: an assesseur may not reopen polls" in err
    code, out, _ = run(monkeypatch, capsys, CHEF_PIN, "polls", "reopen", *as_chef)
    assert code == 0
    assert "Polls: open" in out
    code, out, _ = run(monkeypatch, capsys, ASSESSEUR_PIN, "report", "closing", *as_assesseur)
    assert code == 0
    assert str(closing) in out

    # The journal: an assesseur reads it, only an administrator exports it.
    code, out, _ = run(monkeypatch, capsys, ASSESSEUR_PIN, "journal", *as_assesseur)
    assert code == 0
    assert "polls-reopened" in out
    assert "operator=chef" in out
    export = tmp_path / "journal.jsonl"
    code, _, err = run(
        monkeypatch, capsys, ASSESSEUR_PIN, "journal", "--export", str(export), *as_assesseur
    )
    assert code == 1
    assert "not allowed" in err
    assert not export.exists()
    code, out, _ = run(monkeypatch, capsys, CHEF_PIN, "journal", "--export", str(export), *as_chef)
    assert code == 0
    assert json.loads(export.read_text().splitlines()[-1])["chain"]["ok"] is True

    code, out, _ = run(monkeypatch, capsys, ASSESSEUR_PIN, "diagnostics", *as_assesseur)
    assert code == 0, out
    assert "PASS  store" in out
    assert "PASS  audit journal" in out
    assert "PASS  server         offline kiosk, no server" in out
    assert "WARN  printer" in out

    page = tmp_path / "test-page.pdf"
    code, out, _ = run(
        monkeypatch, capsys, ASSESSEUR_PIN, "printer-test", "--out", str(page), *as_assesseur
    )
    assert code == 0
    assert page.read_bytes().startswith(b"%PDF")

    with setup.open() as store:
        assert store.polls_state() is PollsState.OPEN
        journal = repr([(e.event.code, dict(e.fields)) for e in store.audit_entries()])
    for pin in (CHEF_PIN, ASSESSEUR_PIN):
        assert pin not in journal


def test_wrong_pins_and_unknown_operators_get_one_answer_and_lock(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = run(monkeypatch, capsys, CHEF_PIN, "dashboard", *setup.as_operator("nobody"))
    wrong = run(monkeypatch, capsys, "999999", "dashboard", *setup.as_operator(ASSESSEUR))
    assert unknown == wrong == (1, "", "isoloir: sign-in refused: unknown operator or wrong PIN\n")
    run(monkeypatch, capsys, "999998", "dashboard", *setup.as_operator(ASSESSEUR))
    code, _, err = run(monkeypatch, capsys, "999997", "dashboard", *setup.as_operator(ASSESSEUR))
    assert code == 1
    assert "too many failures, try again after" in err
    code, _, err = run(
        monkeypatch, capsys, ASSESSEUR_PIN, "dashboard", *setup.as_operator(ASSESSEUR)
    )
    assert code == 1  # the delay holds even for the right PIN
    code, out, _ = run(
        monkeypatch, capsys, CHEF_PIN, "operator", "unlock", ASSESSEUR, *setup.as_operator(CHEF)
    )
    assert code == 0
    assert "unlocked" in out
    assert (
        run(monkeypatch, capsys, ASSESSEUR_PIN, "dashboard", *setup.as_operator(ASSESSEUR))[0] == 0
    )
    code, _, err = run(
        monkeypatch, capsys, CHEF_PIN, "operator", "remove", CHEF, *setup.as_operator(CHEF)
    )
    assert code == 1
    assert "last administrator" in err


def test_the_supervised_reassort_shows_the_new_code_once(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    voter = VoterSecrets(1)

    class Terminal:
        def isatty(self) -> bool:
            return True

    typed = iter([voter.answer, voter.numen, "wrong answer", voter.numen])
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    code, out, _ = run(
        monkeypatch,
        capsys,
        ASSESSEUR_PIN,
        "reassort",
        voter.identifier,
        *setup.as_operator(ASSESSEUR),
    )
    assert code == 0
    [line] = [line for line in out.splitlines() if line.startswith("New vote code, shown once: ")]
    new_code = line.removeprefix("New vote code, shown once: ")
    assert voter.answer not in out
    assert voter.numen not in out
    with setup.open() as store:
        stored = store.voter(VoterId(voter.voter_id))
        assert stored is not None
        assert stored.vote_code is not None
        kdf = setup.package.manifest.kdf
        assert verify_secret(SecretKind.VOTE_CODE, new_code, stored.vote_code, kdf)
        assert not verify_secret(SecretKind.VOTE_CODE, voter.code, stored.vote_code, kdf)
        replaced = [e for e in store.audit_entries() if e.event is AuditEvent.VOTE_CODE_REPLACED]
        assert [dict(e.fields) for e in replaced] == [{"method": "supervised"}]
    code, out, err = run(
        monkeypatch,
        capsys,
        ASSESSEUR_PIN,
        "reassort",
        voter.identifier,
        *setup.as_operator(ASSESSEUR),
    )
    assert code == 1
    assert "réassort refused: wrong_answers" in err
    assert "New vote code" not in out


@pytest.mark.skipif(missing() is not None, reason=f"no private CUPS server: {missing()}")
def test_reports_go_to_a_real_cups_queue(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with CupsServer.started() as cups:
        queue = cups.add_pdf_queue()
        with queue.removed_after():
            monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
            code, out, err = run(
                monkeypatch, capsys, CHEF_PIN, "polls", "open", "--print", queue.name,
                *setup.as_operator(CHEF),
            )  # fmt: skip
            assert code == 0, err
            assert f"Sent to printer queue {queue.name}." in out
            [printed] = queue.wait_for_pdfs(1)
            assert printed.read_bytes().startswith(b"%PDF")
            code, _, err = run(
                monkeypatch, capsys, CHEF_PIN, "report", "opening", "--print", "no-such-queue",
                *setup.as_operator(CHEF),
            )  # fmt: skip
            assert code == 1
            assert "queue no-such-queue refused the job" in err
    with setup.open() as store:
        printed_events = [e for e in store.audit_entries() if e.event is AuditEvent.REPORT_PRINTED]
        assert [dict(e.fields) for e in printed_events] == [{"report": "opening"}]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, ElectionPackage, str]]:
    """The server's URL, kiosk-02's key file, the package, and kiosk-02's enrollment token."""
    election = make_election(tmp_path / "served" / "package")
    pem = tmp_path / "kiosk-02.key"
    signing.save_private_key(election.kiosk_keys["kiosk-02"], pem)
    settings = ServerSettings(
        database_url=f"sqlite:///{tmp_path / 'server.db'}", package=election.folder
    )
    clock = ManualClock()
    app = create_app(settings, clock)
    token = issue_token(server_state(app).database, "kiosk-02", timedelta(hours=1), clock).token
    try:
        with ServerThread(app) as server:
            yield server.url, pem, election.package, token
    finally:
        server_state(app).database.close()


def test_a_first_run_downloads_its_package_from_the_server(
    served: tuple[str, Path, ElectionPackage, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, pem, expected, token = served
    store, key = tmp_path / "k2" / "kiosk.db", tmp_path / "k2" / "store.key"
    monkeypatch.setenv("ISOLOIR_NEW_OPERATOR_PIN", CHEF_PIN)
    base = ["admin", "setup", "--store", str(store), "--new-key-file", str(key)]
    base += ["--kiosk-id", "kiosk-02", "--kiosk-key", str(pem), "--admin", CHEF]
    base += ["--from-server", "--server", url]
    # The package holds the roll: the server wants the kiosk's enrollment token.
    monkeypatch.delenv("ISOLOIR_ENROLLMENT_TOKEN", raising=False)
    assert main([*base, "--expect-fingerprint", expected.fingerprint]) == 2
    assert "no token: set ISOLOIR_ENROLLMENT_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("ISOLOIR_ENROLLMENT_TOKEN", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    assert main([*base, "--expect-fingerprint", expected.fingerprint]) == 1
    assert "[token_invalid]" in capsys.readouterr().err
    assert not store.exists()
    monkeypatch.setenv("ISOLOIR_ENROLLMENT_TOKEN", token)
    assert main([*base, "--expect-fingerprint", "AAAA-BBBB-CCCC-DDDD"]) == 1
    assert "nothing was loaded" in capsys.readouterr().err
    assert not store.exists()  # refused before anything was created
    assert main([*base, "--expect-fingerprint", expected.fingerprint]) == 0
    out = capsys.readouterr().out
    assert f"Source:      server ({url})" in out
    assert f"Package loaded: {expected.fingerprint}" in out
    with KioskStore.open(store, StoreKey.from_key_file(key), ManualClock()) as opened:
        loaded = opened.stored_package()
        assert loaded is not None
        assert loaded.fingerprint == expected.fingerprint
        confirmed = opened.audit_entries()[-2]  # the last: this opening's store-opened
        assert confirmed.event is AuditEvent.PACKAGE_CONFIRMED
        assert dict(confirmed.fields) == {
            "source": "server",
            "fingerprint": expected.fingerprint,
            "operator": CHEF,
        }


# ---- recovery with the store key; every action signs in --------------------------------------


def test_a_locked_out_administrator_is_recovered_with_the_store_key(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with setup.open() as store:  # ten wrong PINs, an hour apart: locked for good
        clock = ManualClock()
        from kiosk.admin.operators import OPERATOR_POLICY, Operators

        operators = Operators(store, clock)
        for _ in range(OPERATOR_POLICY.lock_after):
            operators.authenticate(CHEF, "999999")
            clock.advance(timedelta(hours=1))
    code, _, err = run(monkeypatch, capsys, CHEF_PIN, "dashboard", *setup.as_operator(CHEF))
    assert code == 1
    assert "isoloir admin operator recover NAME" in err
    monkeypatch.setenv("ISOLOIR_NEW_OPERATOR_PIN", "97531864")
    code, out, _ = run(monkeypatch, capsys, "", "operator", "recover", CHEF, *setup.opts())
    assert code == 0
    assert f"Account {CHEF} recovered" in out
    assert run(monkeypatch, capsys, CHEF_PIN, "dashboard", *setup.as_operator(CHEF))[0] == 1
    assert run(monkeypatch, capsys, "97531864", "dashboard", *setup.as_operator(CHEF))[0] == 0
    with setup.open() as store:
        recovered = [e for e in store.audit_entries() if e.event is AuditEvent.OPERATOR_RECOVERED]
        assert [dict(e.fields) for e in recovered] == [
            {"operator": CHEF, "role": "administrator", "created": False}
        ]


def test_a_store_without_operators_gets_its_first_administrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.store import create_key_file

    store_path, key_file = tmp_path / "old.db", tmp_path / "old.key"
    KioskStore.create(store_path, create_key_file(key_file), ManualClock()).close()
    opts = ["--store", str(store_path), "--key-file", str(key_file)]
    monkeypatch.setenv("ISOLOIR_NEW_OPERATOR_PIN", CHEF_PIN)
    code, out, _ = run(monkeypatch, capsys, "", "operator", "recover", CHEF, *opts)
    assert (code, out) == (0, f"Account created: {CHEF} (administrator); the journal records it.\n")
    assert run(monkeypatch, capsys, CHEF_PIN, "dashboard", *opts, "--operator", CHEF)[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["load-package", "PACKAGE"],
        ["export", "out.isoloir-bundle"],
        ["unlock", "someone@example.org"],
        ["unlock", "--assesseur"],
        ["enroll"],
        ["sync"],
    ],
)
def test_every_action_needs_an_operator(
    setup: Setup, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["admin", *argv, *setup.opts()])
    assert refused.value.code == 2
    assert "--operator" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["export", "out.isoloir-bundle"], ["unlock", "--assesseur"], ["enroll"]],
)
def test_an_assesseur_may_not_run_administrators_actions(
    setup: Setup,
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(monkeypatch, capsys, ASSESSEUR_PIN, *argv, *setup.as_operator(ASSESSEUR))
    assert code == 1
    assert err.startswith("isoloir: not allowed:")
    assert not (tmp_path / "out.isoloir-bundle").exists()


def test_a_voter_is_unlocked_by_a_signed_in_operator_and_journaled_with_them(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.voting.lockout import CredentialGuard, GateState, login_subject

    identifier = VoterSecrets(1).identifier
    now = ManualClock().now()
    with setup.open() as store:
        guard = CredentialGuard(store)
        for _ in range(guard.policy.lock_after):
            guard.record_failure(login_subject(identifier), now)
    code, out, _ = run(
        monkeypatch, capsys, ASSESSEUR_PIN, "unlock", identifier, *setup.as_operator(ASSESSEUR)
    )
    assert code == 0
    assert "Unlocked" in out
    with setup.open() as store:
        assert CredentialGuard(store).gate(login_subject(identifier), now).state is GateState.OPEN
        unlocked = [e for e in store.audit_entries() if e.event is AuditEvent.VOTER_UNLOCKED]
        assert [e.fields["operator"] for e in unlocked] == [ASSESSEUR]


def test_a_package_is_not_loaded_off_a_terminal_without_the_expected_fingerprint(
    setup: Setup,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other, _ = sealed_election()
    folder = tmp_path / "other-package"
    package.write(other, folder)
    assert not sys.stdin.isatty()  # pytest's captured input, like a script's
    code, _, err = run(
        monkeypatch, capsys, CHEF_PIN, "load-package", str(folder), *setup.as_operator(CHEF)
    )
    assert code == 2
    assert "--expect-fingerprint" in err
    assert "nothing was loaded" in err
