"""``isoloir election new | sign | verify`` from an organizer's TOML + CSV description."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.election import package, signing
from kiosk.election.kdf import SecretKind, verify_secret
from kiosk.election.model import SeatMethod
from kiosk.election.source import ROLL_COLUMNS, SourceError, build_draft
from kiosk.encoding import b64encode

PNG = b"\x89PNG\r\n\x1a\n" + b"logo"
PDF = b"%PDF-1.4\n" + b"document"


def write_description(root: Path, *, voters: int = 4, organizer_key: bytes | None = None) -> Path:
    (root / "docs").mkdir(parents=True)
    for name in ("a", "b"):
        (root / "docs" / f"{name}.png").write_bytes(PNG + name.encode())
        (root / "docs" / f"{name}-pdf.pdf").write_bytes(PDF + name.encode())
        (root / "docs" / f"{name}-ballot.pdf").write_bytes(PDF + b"ballot" + name.encode())
    public_key = b64encode(organizer_key or signing.public_bytes(signing.generate()))
    kiosk_key = b64encode(signing.public_bytes(signing.generate()))
    spec = root / "election.toml"
    spec.write_text(
        f"""
[election]
id = "elections-test"
title = "Élections de test"
time_zone = "Europe/Paris"
opens_at = 2026-12-01T08:00:00+01:00
closes_at = 2026-12-08T17:00:00+01:00
kdf = "test"

[organizer]
name = "Ministère (test)"
public_key = "{public_key}"

[roll]
csv = "voters.csv"

[[kiosks]]
id = "kiosk-01"
public_key = "{kiosk_key}"
station = "Lycée test"

[[scrutins]]
id = "csa"
title = "Comité social d'administration"
seats = 3
"""
        + "".join(
            f"""
  [[scrutins.lists]]
  id = "{name}"
  name = "Liste {name.upper()}"
  affiliation = "Union {name.upper()}"
  logo = "docs/{name}.png"
  profession_de_foi = "docs/{name}-pdf.pdf"
  ballot = "docs/{name}-ballot.pdf"
"""
            for name in ("a", "b")
        ),
        encoding="utf-8",
    )
    with open(root / "voters.csv", "w", encoding="utf-8", newline="") as sink:
        writer = csv.DictWriter(sink, fieldnames=[c for c in ROLL_COLUMNS if c != "station"])
        writer.writeheader()
        for i in range(voters):
            writer.writerow(
                {
                    "voter_id": f"v{i}",
                    "identifier": f"agent{i}@ac-test.fr",
                    "display_name": f"Agent {i}",
                    "password": f"pw{i}",
                    "vote_code": "" if i == 1 else f"CODE-{i}",
                    "vote_code_state": "invalidated" if i == 1 else "active",
                    "secret_question": "Ville de naissance ?",
                    "secret_answer": "Saint-Étienne",
                    "numen": f"12E000000{i}ABC",
                    "personal_email": f"perso{i}@courriel.test",
                    "phone": "+33611223344",
                    "scrutins": "csa",
                }
            )
    return spec


def test_new_sign_verify_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_path = tmp_path / "organizer.key"
    assert main(["election", "keygen", str(key_path)]) == 0
    public = signing.public_bytes(signing.load_private_key(key_path))
    spec = write_description(tmp_path / "src", organizer_key=public)
    out = tmp_path / "pkg"

    assert main(["election", "new", str(spec), "--out", str(out)]) == 0
    assert not (out / package.SIGNATURE).exists()
    assert main(["election", "verify", str(out)]) == 1
    assert "missing manifest.sig" in capsys.readouterr().err

    assert main(["election", "sign", str(out), "--key", str(key_path)]) == 0
    signed_output = capsys.readouterr().out
    assert main(["election", "verify", str(out)]) == 0
    verified = capsys.readouterr().out
    loaded = package.load(out)
    assert loaded.fingerprint in signed_output
    assert loaded.fingerprint in verified
    assert len(loaded.roll) == 4
    assert loaded.roll[1].vote_code is None
    v0 = loaded.roll[0]
    assert v0.vote_code is not None
    kdf = loaded.manifest.kdf
    assert verify_secret(SecretKind.VOTE_CODE, "code 0", v0.vote_code, kdf)
    assert verify_secret(SecretKind.SECRET_ANSWER, "saint etienne", v0.secret_answer, kdf)
    assert verify_secret(SecretKind.PASSWORD, "pw0", v0.password, kdf)
    for data in loaded.assets.values():
        assert b"pw0" not in data
        assert b"CODE-0" not in data


def test_sign_with_another_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_description(tmp_path / "src")
    out = tmp_path / "pkg"
    assert main(["election", "new", str(spec), "--out", str(out)]) == 0
    other = tmp_path / "other.key"
    signing.save_private_key(signing.generate(), other)
    assert main(["election", "sign", str(out), "--key", str(other)]) == 1
    assert "not the organizer key" in capsys.readouterr().err
    assert not (out / package.SIGNATURE).exists()


def test_roll_errors_name_the_line_not_the_secret(tmp_path: Path) -> None:
    spec = write_description(tmp_path / "src")
    roll = tmp_path / "src" / "voters.csv"
    text = roll.read_text(encoding="utf-8").replace(",csa\n", ",csa capn\n", 1)
    roll.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=r"voters.csv:2: unknown scrutin 'capn'"):
        build_draft(spec)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace('logo = "docs/a.png"', 'logo = "docs/a-pdf.pdf"'),
            "is not a PNG image",
        ),
        (lambda t: t.replace('logo = "docs/a.png"', 'logo = "docs/none.png"'), "cannot read"),
        (lambda t: t.replace('kdf = "test"', 'kdf = "weak"'), "unknown profile 'weak'"),
        (
            lambda t: t.replace('kdf = "test"', 'kdf = "test"\nseat_method = "sainte_lague"'),
            r"election\.seat_method: unknown method 'sainte_lague' "
            r"\(highest_average or largest_remainder\)",
        ),
        (
            lambda t: t.replace('kdf = "test"', 'kdf = "test"\nseat_method = 1'),
            r"election\.seat_method: unknown method 1",
        ),
        (
            lambda t: t.replace("opens_at = 2026-12-01T08:00:00+01:00", "opens_at = 2026-12-01"),
            "opens_at",
        ),
        (lambda t: t.replace('id = "b"', 'id = "a"'), "duplicate list id"),
        (lambda t: t.replace("[organizer]", "[organiser]"), r"missing \[organizer\]"),
    ],
)
def test_description_errors_are_clear(tmp_path: Path, edit: object, message: str) -> None:
    spec = write_description(tmp_path / "src")
    spec.write_text(edit(spec.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(SourceError, match=message):
        build_draft(spec)


def test_the_seat_method_defaults_to_the_highest_average(tmp_path: Path) -> None:
    spec = write_description(tmp_path / "src")
    assert build_draft(spec).manifest.seat_method is SeatMethod.HIGHEST_AVERAGE


@pytest.mark.parametrize("method", list(SeatMethod))
def test_the_seat_method_is_the_descriptions(tmp_path: Path, method: SeatMethod) -> None:
    spec = write_description(tmp_path / "src")
    text = spec.read_text(encoding="utf-8")
    spec.write_text(
        text.replace('kdf = "test"', f'kdf = "test"\nseat_method = "{method.value}"'),
        encoding="utf-8",
    )
    assert build_draft(spec).manifest.seat_method is method


def test_personal_email_equal_to_identifier_is_refused(tmp_path: Path) -> None:
    spec = write_description(tmp_path / "src")
    roll = tmp_path / "src" / "voters.csv"
    roll.write_text(
        roll.read_text(encoding="utf-8").replace("perso0@courriel.test", "agent0@ac-test.fr"),
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="must differ from the identifier"):
        build_draft(spec)


def test_passwords_are_hashed_as_typed(tmp_path: Path) -> None:
    spec = write_description(tmp_path / "src")
    roll = tmp_path / "src" / "voters.csv"
    roll.write_text(roll.read_text(encoding="utf-8").replace(",pw0,", ", pw0 ,"), encoding="utf-8")
    voter = build_draft(spec).roll[0]
    kdf = build_draft(spec).manifest.kdf
    assert verify_secret(SecretKind.PASSWORD, " pw0 ", voter.password, kdf)
    assert not verify_secret(SecretKind.PASSWORD, "pw0", voter.password, kdf)


@pytest.mark.parametrize(("suffix", "message"), [(",extra", "more cells"), (None, "fewer cells")])
def test_rows_with_the_wrong_number_of_cells_are_refused(
    tmp_path: Path, suffix: str | None, message: str
) -> None:
    spec = write_description(tmp_path / "src")
    roll = tmp_path / "src" / "voters.csv"
    lines = roll.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1] + suffix if suffix else lines[1].rsplit(",", 2)[0]
    roll.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match=rf"voters.csv:2: {message} than columns"):
        build_draft(spec)


def test_spec_entries_must_be_tables(tmp_path: Path) -> None:
    spec = write_description(tmp_path / "src")
    text = spec.read_text(encoding="utf-8")
    spec.write_text('kiosks = ["x"]\n' + text.replace("[[kiosks]]", "[unused]"), encoding="utf-8")
    with pytest.raises(SourceError, match=r"kiosks: expected \[\[kiosks\]\] tables"):
        build_draft(spec)
