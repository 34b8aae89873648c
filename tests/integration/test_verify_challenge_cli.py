"""``isoloir verify challenge`` on a kiosk-signed slip (docs/protocol.md §10, §15.5)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.crypto.ballot import challenge, seal
from kiosk.crypto.context import election_context
from kiosk.election import package
from kiosk.election.model import ListId, ScrutinId
from kiosk.encoding import canonical_json
from kiosk.verifier.ballots import slip_of
from tests.unit.test_challenge_slip import KIOSK, KIOSK_KEY, sealed_package

pytestmark = pytest.mark.filterwarnings("error")


def isoloir(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_command_checks_the_kiosk_signature_of_a_slip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    election = sealed_package()
    package.write(election, tmp_path / "package")
    scrutin = election.manifest.scrutin(ScrutinId("capn"))
    opened = challenge(seal(election_context(election), scrutin, ListId("l2")))
    printed = slip_of(opened, election.fingerprint, kiosk_id=KIOSK, kiosk_key=KIOSK_KEY)
    slip_file = tmp_path / "slip.json"
    slip_file.write_bytes(printed.to_json())
    where = ("--package", str(tmp_path / "package"))

    code, out, _ = isoloir(capsys, "verify", "challenge", str(slip_file), *where)
    assert code == 0, out
    assert "PASS  kiosk-signature" in out
    assert "Liste 2" in out

    forged = replace(printed, slip=replace(printed.slip, signature=bytes(64)))
    slip_file.write_bytes(forged.to_json())
    code, out, _ = isoloir(capsys, "verify", "challenge", str(slip_file), *where)
    assert code == 1
    assert "FAIL  kiosk-signature" in out
    assert "PASS  opening" in out

    unsigned = json.loads(printed.to_json())
    del unsigned["signature"], unsigned["kiosk_id"]
    unsigned["schema"] = "isoloir.challenge-slip/1"
    slip_file.write_bytes(canonical_json(unsigned))
    code, _, err = isoloir(capsys, "verify", "challenge", str(slip_file), *where)
    assert code == 1
    assert "schema" in err
