"""The key ceremony, sealing and partial decryption through ``isoloir``, as trustees run them."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.cli import main
from kiosk.crypto import group, threshold
from kiosk.crypto.ballot import decode_ballot, encode_ballot, seal
from kiosk.crypto.context import election_context
from kiosk.crypto.receipt import sign_receipt
from kiosk.crypto.tracking import tracking_code_of_bytes
from kiosk.election import package, signing
from kiosk.election.model import (
    ElectionKey,
    KioskId,
    ScrutinId,
    TrusteeCommitments,
    TrusteeId,
)
from kiosk.encoding import b64encode
from kiosk.record import tally
from kiosk.record.board import Board, write_board, write_head
from kiosk.record.layout import RecordLayout
from kiosk.trustee import decryption, messages, state
from kiosk.verifier import verify_record
from tests.factories import small_package

pytestmark = pytest.mark.filterwarnings("error")

N, K = 5, 3
PASS = "phrase de passe du détenteur"
COUNTS = {"capn": (3, 1, 0, 2), "cap": (0, 4, 1)}


@dataclass(frozen=True)
class Run:
    root: Path
    ceremony: Path
    package: Path
    organizer_key: Path
    output: str  # everything the commands printed

    def state(self, i: int) -> Path:
        return self.root / f"trustee-{i}.state"

    @property
    def kiosk_key(self) -> Ed25519PrivateKey:
        return signing.load_private_key(self.root / "kiosk.key")


def isoloir(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ceremony_args(run_root: Path, i: int) -> list[str]:
    return [
        "--ceremony",
        str(run_root / "ceremony"),
        "--state",
        str(run_root / f"trustee-{i}.state"),
    ]


def step_args(step: str) -> list[str]:
    """A ceremony step as a trustee runs it once the fingerprints have been compared."""
    return [step, "--confirm"] if step == "deal" else [step]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Five trustees through init, deal, receive and finish, plus an unsealed package."""
    root = tmp_path_factory.mktemp("ceremony")
    output = io.StringIO()  # capsys is function-scoped: collect this fixture's output directly
    with pytest.MonkeyPatch.context() as monkeypatch, contextlib.redirect_stdout(output):
        monkeypatch.setenv("ISOLOIR_TRUSTEE_PASSPHRASE", PASS)
        for i in range(1, N + 1):
            code = main(
                ["trustee", "init", *ceremony_args(root, i), "--election", "test-2026",
                 "--id", f"trustee-{i}", "--index", str(i), "--kdf", "test"]
            )  # fmt: skip
            assert code == 0
        for step in ("deal", "receive", "finish"):
            for i in range(1, N + 1):
                assert main(["trustee", *step_args(step), *ceremony_args(root, i)]) == 0
    organizer = signing.generate()
    key_path = root / "organizer.key"
    signing.save_private_key(organizer, key_path)
    kiosk_key = signing.generate()
    signing.save_private_key(kiosk_key, root / "kiosk.key")
    package.write(small_package(organizer, voters=12, kiosk_key=kiosk_key), root / "package")
    return Run(root, root / "ceremony", root / "package", key_path, output.getvalue())


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ISOLOIR_TRUSTEE_PASSPHRASE", PASS)
    return PASS


@pytest.fixture
def copy(finished: Run, tmp_path: Path) -> Run:
    """A private copy of the finished ceremony, for tests that change it."""
    shutil.copytree(finished.root, tmp_path / "run")
    root = tmp_path / "run"
    return Run(root, root / "ceremony", root / "package", root / "organizer.key", finished.output)


def seal_package(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = isoloir(
        capsys, "election", "seal", str(run.package), "--ceremony", str(run.ceremony),
        "--key", str(run.organizer_key),
    )  # fmt: skip
    assert code == 0, err


def published_head(record: Path) -> str:
    """The head the server published at close: here, the record's own."""
    return str(json.loads((record / "board-head.json").read_bytes())["head"])


def record_with_ballots(
    sealed_path: Path,
    kiosk_key: Ed25519PrivateKey,
    root: Path,
    counts: dict[str, tuple[int, ...]] = COUNTS,
) -> Path:
    """A record folder: the sealed package, a board of ``counts``' ballots, its aggregate."""
    sealed = package.load(sealed_path)
    context = election_context(sealed)
    layout = RecordLayout(root)
    package.write(sealed, layout.package)
    board = Board(sealed.manifest.election_id, context.base_hash)
    kiosk = KioskId("kiosk-01")
    for sid, per_option in counts.items():
        scrutin = sealed.manifest.scrutin(ScrutinId(sid))
        for option, count in zip(scrutin.options, per_option, strict=True):
            for _ in range(count):
                ballot = encode_ballot(seal(context, scrutin, option).cast())
                receipt = sign_receipt(
                    kiosk_key,
                    election_fingerprint=sealed.fingerprint,
                    scrutin_id=scrutin.id,
                    tracking_code=tracking_code_of_bytes(ballot),
                    kiosk_id=kiosk,
                )
                board.append(scrutin.id, ballot, kiosk, receipt.signature)
    write_board(layout.board, board.entries)
    write_head(layout.board_head, board.head())
    entries, head = tally.load_board(layout.board, layout.board_head)
    layout.aggregate.write_bytes(tally.aggregate_board(sealed, entries, head, workers=1).to_json())
    return root


def test_ceremony_output_shows_progress_and_never_a_secret(finished: Run) -> None:
    out = finished.output
    assert "Trustees finished: 5 of 5" in out
    assert "All trustees agree on the joint key" in out
    assert out.count("Compare each fingerprint") == N
    for i in range(1, N + 1):
        unlocked = state.unlock(finished.state(i), PASS)
        share = unlocked.secrets.share
        assert share is not None
        for secret in (b64encode(group.scalar_bytes(share)), str(share), PASS):
            assert secret not in out
        for secret_key in (unlocked.secrets.signing_key, unlocked.secrets.transport_key):
            assert b64encode(secret_key) not in out


def test_seal_then_decrypt_then_combine(
    copy: Run, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = isoloir(
        capsys, "election", "seal", str(copy.package), "--ceremony", str(copy.ceremony),
        "--key", str(copy.organizer_key),
    )  # fmt: skip
    assert code == 0, err
    assert "3 of 5 trustees" in out
    for i in range(1, N + 1):
        announcement = messages.read_announcement(messages.announcement_path(copy.ceremony, i))
        assert f"#{i} trustee-{i}" in out
        assert announcement.fingerprint in out
    sealed = package.load(copy.package)
    assert sealed.fingerprint in out
    key = sealed.manifest.election_key
    assert key is not None
    records = [state.read_record(copy.state(i)) for i in range(1, N + 1)]
    assert {r.joint_public_key for r in records} == {key.joint_public_key}
    commitments = [tuple(group.element(c) for c in t.commitments) for t in key.trustees]
    assert key.joint_public_key == threshold.joint_key(commitments)
    assert election_context(sealed).joint_key == key.joint_public_key

    code, out, _ = isoloir(
        capsys, "election", "seal", str(copy.package), "--ceremony", str(copy.ceremony),
        "--key", str(copy.organizer_key),
    )  # fmt: skip
    assert code == 0
    assert "sealed already with this ceremony's key" in out

    record = record_with_ballots(copy.package, copy.kiosk_key, copy.root / "record")
    aggregate = tally.read_aggregate(RecordLayout(record).aggregate)
    for i in range(1, N + 1):
        code, out, err = isoloir(
            capsys, "trustee", "decrypt", "--state", str(copy.state(i)), "--record", str(record),
            "--expect-head", published_head(record), "--out", str(copy.root / f"partial-{i}.json"),
        )  # fmt: skip
        assert code == 0, err
        assert aggregate.digest.hex() in out
        assert aggregate.board.head.hex() in out
    partials = [
        decryption.parse_partials((copy.root / f"partial-{i}.json").read_bytes(), f"partial-{i}")
        for i in (2, 4, 5)
    ]
    result = decryption.combine(sealed, aggregate, partials)
    assert result.counts == {ScrutinId(k): v for k, v in COUNTS.items()}
    assert result.used == ("trustee-2", "trustee-4", "trustee-5")

    code, _, err = isoloir(
        capsys, "trustee", "decrypt", "--state", str(copy.state(1)), "--record", str(record),
        "--expect-head", published_head(record), "--out", str(copy.root / "partial-1.json"),
    )  # fmt: skip
    assert code == 1
    assert "exists already" in err


def test_decrypt_refuses_an_aggregate_that_is_not_the_boards_sum(
    copy: Run, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The decryption-oracle attack: one voter's ciphertexts in place of a scrutin's sums."""
    code, _, err = isoloir(
        capsys, "election", "seal", str(copy.package), "--ceremony", str(copy.ceremony),
        "--key", str(copy.organizer_key),
    )  # fmt: skip
    assert code == 0, err
    record = record_with_ballots(copy.package, copy.kiosk_key, copy.root / "record")
    layout = RecordLayout(record)
    honest = tally.read_aggregate(layout.aggregate)
    victim = decode_ballot(next(iter(tally.load_board(layout.board, layout.board_head)[0])).ballot)
    forged = replace(
        honest,
        scrutins=tuple(
            replace(s, options=tuple((c.alpha, c.beta) for c in victim.ciphertexts))
            if s.id == victim.scrutin_id
            else s
            for s in honest.scrutins
        ),
    )
    layout.aggregate.write_bytes(forged.to_json())
    code, _, err = isoloir(
        capsys, "trustee", "decrypt", "--state", str(copy.state(1)), "--record", str(record),
        "--expect-head", published_head(record),
    )  # fmt: skip
    assert code == 1
    assert "is not the sum of this board's ballots: refusing to decrypt" in err
    assert not layout.partials.exists()


def test_seal_into_another_folder_leaves_the_original(
    copy: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (copy.package / "manifest.json").read_bytes()
    code, _, err = isoloir(
        capsys, "election", "seal", str(copy.package), "--ceremony", str(copy.ceremony),
        "--key", str(copy.organizer_key), "--out", str(copy.root / "sealed.zip"),
    )  # fmt: skip
    assert code == 0, err
    assert (copy.package / "manifest.json").read_bytes() == before
    assert package.load(copy.root / "sealed.zip").manifest.election_key is not None


def test_wrong_passphrase_is_clear_and_leaves_the_state_untouched(
    copy: Run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ISOLOIR_TRUSTEE_PASSPHRASE", "not my passphrase")
    before = copy.state(2).read_bytes()
    code, _, err = isoloir(capsys, "trustee", "finish", *ceremony_args(copy.root, 2))
    assert code == 1
    assert "wrong passphrase" in err
    assert copy.state(2).read_bytes() == before


def test_a_corrupted_share_names_its_dealer(
    tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(1, 4):
        code, _, err = isoloir(
            capsys, "trustee", "init", *ceremony_args(tmp_path, i), "--election", "e",
            "--id", f"t{i}", "--index", str(i), "--trustees", "3", "--threshold", "2",
            "--kdf", "test",
        )  # fmt: skip
        assert code == 0, err
    for i in range(1, 4):
        assert isoloir(capsys, "trustee", "deal", "--confirm", *ceremony_args(tmp_path, i))[0] == 0
    path = messages.share_path(tmp_path / "ceremony", 3, 2)
    document = json.loads(path.read_text())
    document["message"]["ciphertext"] = b64encode(b"\x00" * 48)
    path.write_text(json.dumps(document))
    code, _, err = isoloir(capsys, "trustee", "receive", *ceremony_args(tmp_path, 2))
    assert code == 1
    assert "dealer t3 (#3)" in err
    assert "t1" not in err.replace("isoloir:", "")
    assert isoloir(capsys, "trustee", "receive", *ceremony_args(tmp_path, 1))[0] == 0


def test_seal_refuses_trustees_who_disagree(
    copy: Run, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Trustee 4's finish message, re-signed with its real key, claims another joint key.
    path = messages.finish_path(copy.ceremony, 4)
    document = json.loads(path.read_text())
    body = document["message"]
    body["joint_public_key"] = b64encode(group.base_mul(7))
    path.unlink()
    messages.write(path, body, state.unlock(copy.state(4), PASS).secrets.signer())
    before = (copy.package / "manifest.json").read_bytes()
    code, _, err = isoloir(
        capsys, "election", "seal", str(copy.package), "--ceremony", str(copy.ceremony),
        "--key", str(copy.organizer_key),
    )  # fmt: skip
    assert code == 1
    assert "disagree on the joint key" in err
    assert "trustee-4 (#4) computed" in err
    assert (copy.package / "manifest.json").read_bytes() == before


def test_seal_refuses_a_ceremony_of_another_election(
    tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(1, 4):
        code, _, err = isoloir(
            capsys, "trustee", "init", *ceremony_args(tmp_path, i), "--election", "other",
            "--id", f"t{i}", "--index", str(i), "--trustees", "3", "--threshold", "2",
            "--kdf", "test",
        )  # fmt: skip
        assert code == 0, err
    for step in ("deal", "receive", "finish"):
        for i in range(1, 4):
            assert isoloir(capsys, "trustee", *step_args(step), *ceremony_args(tmp_path, i))[0] == 0
    organizer = signing.generate()
    signing.save_private_key(organizer, tmp_path / "organizer.key")
    package.write(small_package(organizer), tmp_path / "package")
    code, _, err = isoloir(
        capsys, "election", "seal", str(tmp_path / "package"), "--ceremony",
        str(tmp_path / "ceremony"), "--key", str(tmp_path / "organizer.key"),
    )  # fmt: skip
    assert code == 1
    assert "the ceremony is for election 'other', the package for 'test-2026'" in err


@pytest.mark.parametrize(
    "extra", [["--trustees", "2", "--threshold", "2"], ["--threshold", "1"], ["--threshold", "6"]]
)
def test_init_refuses_bad_sizes(
    tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    code, _, err = isoloir(
        capsys, "trustee", "init", *ceremony_args(tmp_path, 1), "--election", "e", "--id", "t1",
        "--index", "1", "--kdf", "test", *extra,
    )  # fmt: skip
    assert code == 2
    assert "at least 3 trustees" in err
    assert not (tmp_path / "trustee-1.state").exists()


def test_status_runs_without_a_passphrase(finished: Run) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "trustee", "status", "--state", str(finished.state(3)),
         "--ceremony", str(finished.ceremony)],
        capture_output=True, text=True, check=False, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Trustee trustee-3, #3 of 5 (threshold 3), ceremony test-2026" in result.stdout
    assert "Stage: finished" in result.stdout
    assert "#5: announced, dealt, finished" in result.stdout
    lines = result.stdout.splitlines()
    for i in range(1, N + 1):
        announcement = messages.read_announcement(messages.announcement_path(finished.ceremony, i))
        mark = "  (you)" if i == 3 else ""
        shown = f"  #{i}: announced, dealt, finished  trustee-{i} {announcement.fingerprint}{mark}"
        assert shown in lines


def test_each_trustee_checks_the_sealed_package(
    copy: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = isoloir(capsys, "trustee", "check-package", str(copy.package),
                           "--state", str(copy.state(1)))  # fmt: skip
    assert code == 1
    assert "not sealed" in err
    code, _, err = isoloir(
        capsys, "election", "seal", str(copy.package), "--ceremony", str(copy.ceremony),
        "--key", str(copy.organizer_key),
    )  # fmt: skip
    assert code == 0, err
    fingerprint = package.load(copy.package).fingerprint
    for i in range(1, N + 1):
        code, out, err = isoloir(capsys, "trustee", "check-package", str(copy.package),
                                 "--state", str(copy.state(i)))  # fmt: skip
        assert code == 0, err
        assert fingerprint in out


def test_check_package_catches_swapped_commitments(
    copy: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    """An organizer who swaps the key AND the commitments passes the kiosks' sum check only."""
    organizer = signing.load_private_key(copy.organizer_key)
    unsealed = package.load(copy.package)
    secrets = [group.random_scalar() for _ in range(N)]
    rogue = ElectionKey(
        joint_public_key=group.base_mul(sum(secrets)),
        threshold=3,
        trustees=tuple(
            TrusteeCommitments(TrusteeId(f"trustee-{i + 1}"),
                               tuple(group.base_mul(s + j) for j in range(3)))
            for i, s in enumerate(secrets)
        ),
    )  # fmt: skip
    swapped = package.resign(unsealed, replace(unsealed.manifest, election_key=rogue), organizer)
    package.write(swapped, copy.root / "swapped")
    assert election_context(swapped).joint_key == rogue.joint_public_key  # kiosks would accept it
    code, _, err = isoloir(capsys, "trustee", "check-package", str(copy.root / "swapped"),
                           "--state", str(copy.state(2)))  # fmt: skip
    assert code == 1
    assert "NOT the joint key of your ceremony" in err


def test_deal_publishes_nothing_before_the_fingerprints_are_confirmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """§13.2: the fingerprints are compared before anything secret is sent."""
    monkeypatch.setenv("ISOLOIR_TRUSTEE_PASSPHRASE", PASS)
    for i in range(1, 4):
        code, _, err = isoloir(
            capsys, "trustee", "init", *ceremony_args(tmp_path, i), "--election", "e",
            "--id", f"t{i}", "--index", str(i), "--trustees", "3", "--threshold", "2",
            "--kdf", "test",
        )  # fmt: skip
        assert code == 0, err
    monkeypatch.delenv("ISOLOIR_TRUSTEE_PASSPHRASE")  # the first run needs no passphrase
    folder = tmp_path / "ceremony"
    before = sorted(p.name for p in folder.iterdir())
    code, out, err = isoloir(capsys, "trustee", "deal", *ceremony_args(tmp_path, 2))
    assert code == 3
    expected = (
        "compare these fingerprints aloud with the other trustees, then run again with --confirm"
    )
    assert expected in err
    for i in range(1, 4):
        announcement = messages.read_announcement(messages.announcement_path(folder, i))
        assert f"#{i} t{i}" in out
        assert announcement.fingerprint in out
    assert "(you)" in out.splitlines()[2]  # trustee #2
    assert sorted(p.name for p in folder.iterdir()) == before  # no dealing, no share
    assert state.read_record(tmp_path / "trustee-2.state").stage is state.Stage.INITIALIZED

    monkeypatch.setenv("ISOLOIR_TRUSTEE_PASSPHRASE", PASS)
    code, out, err = isoloir(capsys, "trustee", "deal", "--confirm", *ceremony_args(tmp_path, 2))
    assert code == 0, err
    assert messages.dealing_path(folder, 2).exists()
    assert messages.share_path(folder, 2, 1).exists()


def test_decrypt_requires_the_published_head(
    copy: Run, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seal_package(copy, capsys)
    record = record_with_ballots(copy.package, copy.kiosk_key, copy.root / "record")
    with pytest.raises(SystemExit) as exit_info:
        main(["trustee", "decrypt", "--state", str(copy.state(1)), "--record", str(record)])
    assert exit_info.value.code == 2
    assert "--expect-head" in capsys.readouterr().err
    for bad in ("ab" * 63, "zz" * 64):
        with pytest.raises(SystemExit):
            main(["trustee", "decrypt", "--state", str(copy.state(1)), "--record", str(record),
                  "--expect-head", bad])  # fmt: skip
        assert "128 hexadecimal digits" in capsys.readouterr().err
    assert not RecordLayout(record).partials.exists()


def test_a_rechained_one_ballot_board_is_refused_before_the_passphrase(
    copy: Run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The subset (oracle) attack: a board of one real ballot, re-chained with a new head, its
    kiosk signature genuine, is a valid board; its sum is that voter's ballot. Only the head
    published at close tells it from the real board."""
    seal_package(copy, capsys)
    honest = record_with_ballots(copy.package, copy.kiosk_key, copy.root / "record")
    sealed = package.load(honest / "package")
    victim = tally.load_board(honest / "board.jsonl", honest / "board-head.json")[0][0]
    forged = RecordLayout(copy.root / "forged")
    package.write(sealed, forged.package)
    board = Board(sealed.manifest.election_id, election_context(sealed).base_hash)
    board.append(victim.scrutin_id, victim.ballot, victim.kiosk_id, victim.kiosk_signature)
    write_board(forged.board, board.entries)
    write_head(forged.board_head, board.head())
    code, out, err = isoloir(capsys, "tally", "aggregate", "--record", str(forged.root))
    assert code == 0, err  # without the published head, nothing tells this board apart
    assert "1 ballot, head" in out

    monkeypatch.delenv("ISOLOIR_TRUSTEE_PASSPHRASE", raising=False)  # never asked
    code, _, err = isoloir(
        capsys, "trustee", "decrypt", "--state", str(copy.state(1)), "--record", str(forged.root),
        "--expect-head", published_head(honest),
    )  # fmt: skip
    assert code == 1
    assert f"the board's head {board.head().head.hex()} (of 1 entry)" in err
    assert f"is not the head published at close, {published_head(honest)}" in err
    assert "passphrase" not in err
    assert not forged.partials.exists()

    forged.aggregate.unlink()
    code, _, err = isoloir(capsys, "tally", "aggregate", "--record", str(forged.root),
                           "--expect-head", published_head(honest))  # fmt: skip
    assert code == 1
    assert "not the head published at close" in err
    assert not forged.aggregate.exists()


def test_combine_through_the_commands_prints_counts_and_ties(
    copy: Run, passphrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three trustees decrypt into partials/, combine writes a record that verifies, and its
    output says "1 vote", "1 seat" and warns of the tie that results.json records."""
    seal_package(copy, capsys)
    tie = {"capn": (1, 1, 1, 0), "cap": (1, 0, 0)}  # capn: 3 lists level for the last 2 seats
    record = record_with_ballots(copy.package, copy.kiosk_key, copy.root / "record", tie)
    for i in (1, 3, 4):
        code, _, err = isoloir(
            capsys, "trustee", "decrypt", "--state", str(copy.state(i)), "--record", str(record),
            "--expect-head", published_head(record),
        )  # fmt: skip
        assert code == 0, err
    code, out, err = isoloir(capsys, "tally", "combine", "--record", str(record))
    assert code == 0, err
    assert "Combined the partial decryptions of trustee-1, trustee-3, trustee-4." in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  Liste ")]
    assert [row[2:] for row in rows] == [
        ["1", "vote", "2", "seats"], ["1", "vote", "2", "seats"], ["1", "vote", "1", "seat"],
        ["1", "vote", "5", "seats"], ["0", "votes", "0", "seats"],
    ]  # fmt: skip
    assert "Scrutin CAPN (capn): 3 ballots of" in out
    assert "Scrutin CAP (cap): 1 ballot of" in out
    assert "  Warning: tie for the last 2 seats: lists “Liste 0”, “Liste 1”, “Liste 2”" in out
    assert "given here by ballot order to “Liste 0”, “Liste 1”" in out
    assert out.count("Warning:") == 1
    ties = json.loads((record / "results.json").read_bytes())["scrutins"][0]["ties"]
    assert ties == [{"lists": ["l0", "l1", "l2"], "seats": 2}]
    assert verify_record(record).passed
