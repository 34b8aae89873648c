"""``isoloir election new``: an election package draft from an organizer's TOML + CSV description.

The description format is documented in docs/election-package.md ("Building a package"). The
CSV carries the voters' plaintext secrets, which are hashed here and never copied anywhere.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from kiosk.election.codec import (
    PackageFormatError,
    parse_manifest,
    parse_roll,
    roll_to_json,
)
from kiosk.election.kdf import KdfParams, KdfProfile, SecretKind, hash_secret
from kiosk.election.model import (
    SCHEMA,
    ScrutinId,
    SeatMethod,
    Voter,
    VoterId,
)
from kiosk.election.package import Draft, PackageError, make_draft
from kiosk.encoding import EncodingError, canonical_json, strict_json_loads

ROLL_PATH: Final = "roll.json"
ROLL_COLUMNS: Final = (
    "voter_id",
    "identifier",
    "display_name",
    "password",
    "vote_code",
    "vote_code_state",
    "secret_question",
    "secret_answer",
    "numen",
    "personal_email",
    "phone",
    "scrutins",
    "station",
)
"""The roll CSV layout, shared with the demo's demo-credentials.csv."""
OPTIONAL_COLUMNS: Final = frozenset({"vote_code_state", "station"})
_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_PDF_MAGIC: Final = b"%PDF-"
_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")


class SourceError(ValueError):
    """The organizer's description is wrong; the message names the file, row or field."""


def build_draft(spec_path: Path, roll_path: Path | None = None) -> Draft:
    """The unsigned package described by ``spec_path``; every asset read and checked."""
    try:
        spec = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{spec_path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{spec_path}: invalid TOML ({exc})") from None
    base = spec_path.parent
    files: dict[str, bytes] = {}
    try:
        manifest_json = _manifest_json(spec, base, files)
    except SourceError as exc:
        raise SourceError(f"{spec_path}: {exc}") from None
    kdf = _kdf(_table(spec, "election").get("kdf", "strong"))
    manifest_json["kdf"] = {"algorithm": "scrypt", "log2_n": kdf.log2_n, "r": kdf.r, "p": kdf.p}
    roll_file = roll_path or base / str(_table(spec, "roll").get("csv", ""))
    known = {str(s["id"]) for s in manifest_json["scrutins"]}
    voters = read_roll_csv(roll_file, known, kdf)
    files[ROLL_PATH] = canonical_json(roll_to_json(manifest_json["election_id"], voters))
    manifest_json["roll"] = {"path": ROLL_PATH, "voters": len(voters)}
    manifest_json["assets"] = {p: hashlib.sha256(d).hexdigest() for p, d in sorted(files.items())}
    try:
        manifest = parse_manifest(manifest_json)
        roll = parse_roll(strict_json_loads(files[ROLL_PATH], ROLL_PATH), manifest)
        return make_draft(manifest, roll, files)
    except (PackageFormatError, EncodingError, PackageError) as exc:
        raise SourceError(f"{spec_path}: {exc}") from None


def _table(spec: dict[str, Any], key: str) -> dict[str, Any]:
    value = spec.get(key)
    if not isinstance(value, dict):
        raise SourceError(f"missing [{key}] table")
    return value


def _tables(spec: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    """An array of tables (``[[key]]``), possibly empty."""
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise SourceError(f"{where}{key}: expected [[{key}]] tables")
    return value


def _instant(value: object, where: str) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise SourceError(f"{where}: expected a TOML date-time with a UTC offset")
    return value.isoformat()


def _kdf(value: object) -> KdfParams:
    if isinstance(value, str):
        try:
            return KdfProfile[value.upper()].value
        except KeyError:
            raise SourceError(
                f"election.kdf: unknown profile {value!r} (strong, demo or test)"
            ) from None
    if isinstance(value, dict):
        try:
            return KdfParams(**value)
        except (TypeError, ValueError) as exc:
            raise SourceError(f"election.kdf: {exc}") from None
    raise SourceError("election.kdf: expected a profile name or a table {log2_n, r, p}")


def _seat_method(value: object) -> str:
    """``[election] seat_method``; absent, the plus forte moyenne of the texts (docs/results.md)."""
    if value is None:
        return SeatMethod.HIGHEST_AVERAGE.value
    known = " or ".join(method.value for method in SeatMethod)
    if not isinstance(value, str) or value not in {method.value for method in SeatMethod}:
        raise SourceError(f"election.seat_method: unknown method {value!r} ({known})")
    return value


def _asset(
    base: Path, value: object, dest: str, magic: bytes, where: str, files: dict[str, bytes]
) -> str:
    if not isinstance(value, str):
        raise SourceError(f"{where}: expected a file path")
    path = base / value
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{where}: cannot read {path} ({exc.strerror})") from None
    if not data.startswith(magic):
        kind = "PNG image" if magic == _PNG_MAGIC else "PDF document"
        raise SourceError(f"{where}: {path} is not a {kind}")
    files[dest] = data
    return dest


def _manifest_json(spec: dict[str, Any], base: Path, files: dict[str, bytes]) -> dict[str, Any]:
    election = _table(spec, "election")
    organizer = _table(spec, "organizer")
    scrutins = []
    for s_index, scrutin in enumerate(_tables(spec, "scrutins", "")):
        where = f"scrutins[{s_index}]"
        sid = str(scrutin.get("id", ""))
        lists = []
        for l_index, lst in enumerate(_tables(scrutin, "lists", f"{where}.")):
            lwhere = f"{where}.lists[{l_index}]"
            prefix = f"assets/{sid}/{lst.get('id', '')}"
            lists.append(
                {
                    "id": lst.get("id"),
                    "name": lst.get("name"),
                    "affiliation": lst.get("affiliation"),
                    "logo": _asset(
                        base,
                        lst.get("logo"),
                        f"{prefix}-logo.png",
                        _PNG_MAGIC,
                        f"{lwhere}.logo",
                        files,
                    ),
                    "profession_de_foi": _asset(
                        base,
                        lst.get("profession_de_foi"),
                        f"{prefix}-profession-de-foi.pdf",
                        _PDF_MAGIC,
                        f"{lwhere}.profession_de_foi",
                        files,
                    ),
                    "ballot": _asset(
                        base,
                        lst.get("ballot"),
                        f"{prefix}-bulletin.pdf",
                        _PDF_MAGIC,
                        f"{lwhere}.ballot",
                        files,
                    ),
                }
            )
        scrutins.append(
            {
                "id": scrutin.get("id"),
                "title": scrutin.get("title"),
                "seats": scrutin.get("seats"),
                "lists": lists,
                "blank_vote": {"label": scrutin.get("blank_label", "Vote blanc")},
            }
        )
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "election_id": election.get("id"),
        "title": election.get("title"),
        "organizer": {"name": organizer.get("name"), "public_key": organizer.get("public_key")},
        "time_zone": election.get("time_zone", "Europe/Paris"),
        "voting_window": {
            "opens_at": _instant(election.get("opens_at"), "election.opens_at"),
            "closes_at": _instant(election.get("closes_at"), "election.closes_at"),
        },
        "scrutins": scrutins,
        "seat_method": _seat_method(election.get("seat_method")),
        "kiosks": [
            {"id": k.get("id"), "public_key": k.get("public_key"), "station": k.get("station")}
            for k in _tables(spec, "kiosks", "")
        ],
        "election_key": None,
    }
    if "server" in spec:
        manifest["server"] = _server(spec["server"])
    return manifest


def _server(value: object) -> dict[str, Any]:
    """``[server]``: the URL and the TLS certificate's SHA-256 as ``isoloir server run`` prints
    it (``AB:CD:...``) or in hex; written in the manifest's lowercase hex. Absent: offline."""
    if not isinstance(value, dict):
        raise SourceError("server: expected a [server] table")
    unknown = sorted(set(value) - {"url", "tls_certificate_sha256"})
    if unknown:
        raise SourceError(f"server.{unknown[0]}: unknown field")
    pin = value.get("tls_certificate_sha256")
    if isinstance(pin, str):
        compact = pin.strip().replace(":", "").lower()
        if not _SHA256_HEX.fullmatch(compact):
            raise SourceError(
                "server.tls_certificate_sha256: expected the certificate's SHA-256, "
                "64 hex digits (AB:CD:... as isoloir server run prints it, or abcd...)"
            )
        pin = compact
    elif pin is not None:
        raise SourceError("server.tls_certificate_sha256: expected a string")
    return {"url": value.get("url"), "tls_certificate_sha256": pin}


def read_roll_csv(path: Path, scrutins: set[str], kdf: KdfParams) -> tuple[Voter, ...]:
    """Voters from the organizer's CSV; a row's error names the file and line, never a secret.

    ``scrutins`` are the ids a voter may be eligible for.
    """
    try:
        with open(path, encoding="utf-8", newline="") as source:
            reader = csv.DictReader(source)
            header = reader.fieldnames or []
            missing = [c for c in ROLL_COLUMNS if c not in header and c not in OPTIONAL_COLUMNS]
            if missing:
                raise SourceError(f"{path}: missing column {missing[0]!r}")
            unknown = [c for c in header if c not in ROLL_COLUMNS]
            if unknown:
                raise SourceError(f"{path}: unknown column {unknown[0]!r}")
            voters = [_voter(row, scrutins, kdf, f"{path}:{reader.line_num}") for row in reader]
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the roll ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"{path}: not a UTF-8 CSV file ({type(exc).__name__})") from None
    if not voters:
        raise SourceError(f"{path}: the roll holds no voter")
    return tuple(voters)


def _voter(row: dict[str | None, Any], known: set[str], kdf: KdfParams, where: str) -> Voter:
    if None in row:
        raise SourceError(f"{where}: more cells than columns")
    if any(value is None for value in row.values()):
        raise SourceError(f"{where}: fewer cells than columns")

    def field(name: str, *, required: bool = True, secret: bool = False) -> str:
        raw = str(row.get(name) or "")
        value = raw if secret else raw.strip()  # secrets are hashed as typed
        if required and not value.strip():
            raise SourceError(f"{where}: empty {name}")
        return value

    scrutins = tuple(ScrutinId(s) for s in field("scrutins").split())
    for scrutin in scrutins:
        if scrutin not in known:
            raise SourceError(f"{where}: unknown scrutin {scrutin!r}")
    state = field("vote_code_state", required=False) or "active"
    if state not in ("active", "invalidated"):
        raise SourceError(f"{where}: vote_code_state must be 'active' or 'invalidated'")
    code = field("vote_code", required=state == "active", secret=True)
    return Voter(
        id=VoterId(field("voter_id")),
        identifier=field("identifier"),
        display_name=field("display_name"),
        password=hash_secret(SecretKind.PASSWORD, field("password", secret=True), kdf),
        vote_code=hash_secret(SecretKind.VOTE_CODE, code, kdf) if state == "active" else None,
        secret_question=field("secret_question"),
        secret_answer=hash_secret(
            SecretKind.SECRET_ANSWER, field("secret_answer", secret=True), kdf
        ),
        numen=hash_secret(SecretKind.NUMEN, field("numen", secret=True), kdf),
        personal_email=field("personal_email", required=False) or None,
        phone=field("phone", required=False) or None,
        scrutins=scrutins,
        station=field("station", required=False) or None,
    )
