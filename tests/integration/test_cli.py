"""The demo path of ``make demo``, command by command, plus the administrators' error paths."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.clock import SystemClock
from kiosk.election import package
from kiosk.store import KioskStore, StoreKey

pytestmark = pytest.mark.filterwarnings("error")

ADMIN, ADMIN_PIN = "admin", "000000"


@pytest.fixture(autouse=True)
def operator_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first administrator's PIN for ``admin setup``, and the one it signs in with."""
    monkeypatch.setenv("ISOLOIR_NEW_OPERATOR_PIN", ADMIN_PIN)
    monkeypatch.setenv("ISOLOIR_OPERATOR_PIN", ADMIN_PIN)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    code = main(["election", "demo", str(root / "package"), "--voters", "30", "--kdf", "test"])
    assert code == 0
    return root


def _init(
    store: Path, key: Path, kiosk_id: str = "kiosk-01", kiosk_key: Path | None = None
) -> list[str]:
    """``admin setup`` of a new store under a new key file, with the kiosk's key if given."""
    argv = ["admin", "setup", "--store", str(store), "--new-key-file", str(key)]
    argv += ["--kiosk-id", kiosk_id, "--admin", ADMIN]
    if kiosk_key is not None:
        argv += ["--kiosk-key", str(kiosk_key)]
    return argv


def _load(folder: Path, opts: list[str]) -> list[str]:
    """``admin load-package`` signed in, with the fingerprint a script must state."""
    fingerprint = package.load(folder).fingerprint
    return ["admin", "load-package", str(folder), *opts, "--operator", ADMIN,
            "--expect-fingerprint", fingerprint]  # fmt: skip


def test_demo_writes_package_and_separate_secrets(demo: Path) -> None:
    secrets = demo / "package-secrets"
    assert (secrets / "demo-credentials.csv").is_file()
    assert (secrets / "organizer.key").is_file()
    assert not any((demo / "package").rglob("*credentials*"))
    assert len(package.load(demo / "package").roll) == 30


def test_demo_output_and_verify_print_no_secret(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["election", "verify", str(demo / "package")]) == 0
    out = capsys.readouterr().out
    assert package.load(demo / "package").fingerprint in out
    with open(demo / "package-secrets" / "demo-credentials.csv", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    for row in rows:
        for field in ("password", "vote_code", "secret_answer", "numen"):
            if row[field]:
                assert row[field] not in out


def test_init_load_status(demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, key = tmp_path / "kiosk.db", tmp_path / "store.key"
    kiosk_key = demo / "package-secrets" / "kiosks" / "kiosk-01.key"
    assert main(_init(store, key, kiosk_key=kiosk_key)) == 0
    opts = ["--store", str(store), "--key-file", str(key)]
    assert main(_load(demo / "package", opts)) == 0
    assert "Package loaded." in capsys.readouterr().out
    assert main(_load(demo / "package", opts)) == 0
    assert "loaded already" in capsys.readouterr().out
    assert main(["admin", "status", *opts]) == 0
    out = capsys.readouterr().out
    assert package.load(demo / "package").fingerprint in out
    assert "30 voters, 3 scrutins" in out
    assert "Kiosk:         kiosk-01" in out
    assert "intact" in out


def test_init_with_a_passphrase_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "kiosk.db"
    monkeypatch.setenv("ISOLOIR_STORE_PASSPHRASE", "correct horse battery staple")
    argv = ["admin", "setup", "--store", str(store), "--kiosk-id", "kiosk-09", "--admin", ADMIN]
    assert main(argv) == 0
    assert main(["admin", "status", "--store", str(store)]) == 0
    assert "no package loaded" in capsys.readouterr().out
    monkeypatch.setenv("ISOLOIR_STORE_PASSPHRASE", "wrong horse")
    before = hashlib.sha256(store.read_bytes()).digest()
    assert main(["admin", "status", "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert "wrong passphrase or key" in err
    assert "wrong horse" not in err
    assert hashlib.sha256(store.read_bytes()).digest() == before


def test_a_tampered_package_is_refused_and_the_store_keeps_what_it_had(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, key = tmp_path / "kiosk.db", tmp_path / "store.key"
    assert main(_init(store, key)) == 0
    opts = ["--store", str(store), "--key-file", str(key)]
    bad = tmp_path / "bad"
    package.write(package.load(demo / "package"), bad)
    logo = next(bad.rglob("*.png"))
    logo.write_bytes(logo.read_bytes()[:-1] + b"\x00")
    capsys.readouterr()
    bad_load = ["admin", "load-package", str(bad), *opts, "--operator", ADMIN]
    assert main([*bad_load, "--expect-fingerprint", "AAAA-BBBB-CCCC-DDDD"]) == 1
    assert "hash mismatch" in capsys.readouterr().err
    assert main(["admin", "status", *opts]) == 0
    assert "no package loaded" in capsys.readouterr().out


def test_init_refuses_an_existing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "kiosk.db"
    store.write_bytes(b"precious")
    key = tmp_path / "k.key"
    assert main(_init(store, key)) == 1
    assert "exists already" in capsys.readouterr().err
    assert store.read_bytes() == b"precious"


def test_the_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("isoloir ")


def test_log_lines_tell_the_story_without_secrets(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, key = tmp_path / "kiosk.db", tmp_path / "store.key"
    kiosk_key = demo / "package-secrets" / "kiosks" / "kiosk-01.key"
    opts = ["--store", str(store), "--key-file", str(key)]
    assert main(_init(store, key, kiosk_key=kiosk_key)) == 0
    capsys.readouterr()
    assert main(["--log-level", "INFO", *_load(demo / "package", opts)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["event"], e["disposition"]) for e in lines] == [
        ("package_load", "start"),
        ("package_load", "loaded"),
    ]
    assert lines[1]["fingerprint"] == package.load(demo / "package").fingerprint
    assert lines[1]["voters"] == 30


def test_status_changes_nothing_in_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, key = tmp_path / "kiosk.db", tmp_path / "store.key"
    assert main(_init(store, key)) == 0
    opts = ["--store", str(store), "--key-file", str(key)]
    before = sorted(tmp_path.iterdir()), store.read_bytes()
    capsys.readouterr()
    outputs = []
    for _ in range(2):
        assert main(["admin", "status", *opts]) == 0
        outputs.append(capsys.readouterr().out)
    assert (sorted(tmp_path.iterdir()), store.read_bytes()) == before  # no -wal, same bytes
    assert outputs[0] == outputs[1]  # the same journal length and head
    # created, opened, kiosk key set, administrator added
    assert "Audit journal: 4 entries" in outputs[0]


def test_status_works_while_the_kiosk_is_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, key = tmp_path / "kiosk.db", tmp_path / "store.key"
    assert main(_init(store, key)) == 0
    with KioskStore.open(store, StoreKey.from_key_file(key), SystemClock()) as kiosk:
        head = kiosk.status().audit_head
        with kiosk._write():  # the kiosk holds the write lock: a status needs none
            capsys.readouterr()
            assert main(["admin", "status", "--store", str(store), "--key-file", str(key)]) == 0
    assert f"head {head[:16]}" in capsys.readouterr().out


def test_init_refuses_a_kiosk_id_the_package_format_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, key = tmp_path / "kiosk.db", tmp_path / "store.key"
    assert main(_init(store, key, kiosk_id="Kiosk 01")) == 2
    assert "'Kiosk 01' is not a kiosk id" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither a store nor a key file


def test_a_failed_init_removes_the_key_file_it_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    key = tmp_path / "store.key"
    assert main(_init(blocker / "kiosk.db", key)) == 1
    assert "cannot create" in capsys.readouterr().err
    assert not key.exists()
    assert main(_init(tmp_path / "kiosk.db", key)) == 0  # the rerun is not blocked


def test_a_failed_init_keeps_a_key_file_it_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    key = tmp_path / "store.key"
    key.write_bytes(bytes(range(32)))
    store = blocker / "kiosk.db"
    assert main(_init(store, key)) == 1  # --new-key-file over an existing file
    assert "never overwritten" in capsys.readouterr().err
    given = ["admin", "setup", "--store", str(store), "--key-file", str(key), "--kiosk-id", "k1"]
    given += ["--admin", ADMIN]
    assert main(given) == 1
    assert "cannot create" in capsys.readouterr().err
    assert key.read_bytes() == bytes(range(32))


def test_a_package_that_does_not_list_this_kiosk_is_refused(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, key = tmp_path / "kiosk.db", tmp_path / "store.key"
    assert main(_init(store, key, kiosk_id="kiosk-99")) == 0
    opts = ["--store", str(store), "--key-file", str(key)]
    assert main(_load(demo / "package", opts)) == 1
    assert "but not 'kiosk-99'" in capsys.readouterr().err
    assert main(["admin", "status", *opts]) == 0
    assert "no package loaded" in capsys.readouterr().out


def test_each_secret_has_its_own_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ISOLOIR_STORE_PASSPHRASE", "the kiosk store passphrase")
    monkeypatch.delenv("ISOLOIR_ORGANIZER_PASSPHRASE", raising=False)
    assert main(["election", "keygen", str(tmp_path / "org.key"), "--encrypt"]) == 2
    assert "set ISOLOIR_ORGANIZER_PASSPHRASE" in capsys.readouterr().err
    assert not (tmp_path / "org.key").exists()


def test_unlock_clears_a_locked_voter_and_the_assesseur_and_journals_it(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from kiosk.audit import AuditEvent
    from kiosk.voting.lockout import (
        ASSESSEUR_SUBJECT,
        CredentialGuard,
        GateState,
        login_subject,
        vote_code_subject,
    )

    store_path, key = tmp_path / "kiosk.db", tmp_path / "store.key"
    kiosk_key = demo / "package-secrets" / "kiosks" / "kiosk-01.key"
    assert main(_init(store_path, key, kiosk_key=kiosk_key)) == 0
    opts = ["--store", str(store_path), "--key-file", str(key)]
    assert main(_load(demo / "package", opts)) == 0
    with open(demo / "package-secrets" / "demo-credentials.csv", encoding="utf-8") as source:
        voter = next(csv.DictReader(source))
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    subjects = (
        login_subject(voter["identifier"]),
        vote_code_subject(voter["voter_id"]),  # type: ignore[arg-type]
        ASSESSEUR_SUBJECT,
    )
    with KioskStore.open(store_path, StoreKey.from_key_file(key), SystemClock()) as store:
        guard = CredentialGuard(store)
        for subject in subjects:
            for _ in range(guard.policy.lock_after):
                guard.record_failure(subject, now)
            assert guard.gate(subject, now).state is GateState.LOCKED
    capsys.readouterr()

    # The identifier as a voter might spell it: the login lookup folds case and spaces.
    as_admin = [*opts, "--operator", ADMIN]
    assert main(["admin", "unlock", f"  {voter['identifier'].upper()} ", *as_admin]) == 0
    assert "Unlocked: the failure counters are cleared" in capsys.readouterr().out
    assert main(["admin", "unlock", voter["identifier"], *as_admin]) == 0
    assert "Nothing to unlock" in capsys.readouterr().out
    assert main(["admin", "unlock", "--assesseur", *as_admin]) == 0
    assert "Unlocked: the failure counters are cleared" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:  # whom?
        main(["admin", "unlock", *as_admin])
    assert refused.value.code == 2

    with KioskStore.open(store_path, StoreKey.from_key_file(key), SystemClock()) as store:
        guard = CredentialGuard(store)
        assert all(guard.gate(s, now).state is GateState.OPEN for s in subjects)
        events = [entry.event for entry in store.audit_entries()]
    assert events.count(AuditEvent.CREDENTIAL_UNLOCKED) == 3
