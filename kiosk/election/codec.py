"""JSON <-> model for the election package, strict at the edge (docs/election-package.md).

Every error names the field at fault (``manifest.scrutins[2].lists[0].logo: ...``); unknown
fields are refused so that nothing unsigned or unchecked rides along.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.election.kdf import KdfParams, SecretHash
from kiosk.election.model import (
    BLANK_OPTION,
    SCHEMA,
    CandidateList,
    CentralServer,
    ElectionId,
    ElectionKey,
    KioskId,
    KioskKey,
    ListId,
    Manifest,
    Organizer,
    Scrutin,
    ScrutinId,
    SeatMethod,
    TrusteeCommitments,
    TrusteeId,
    Voter,
    VoterId,
    VotingWindow,
)
from kiosk.encoding import JsonValue, b64encode
from kiosk.jsonfields import Fields

T = TypeVar("T")

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
_PHONE = re.compile(r"\+[0-9]{6,15}")
_RESERVED_NAMES = frozenset({"manifest.json", "manifest.sig"})
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_URL_PATH = re.compile(r"(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*")
_MAX_URL = 255


class PackageFormatError(ValueError):
    """A package file whose content breaks the schema; the message names the field."""


class _PackageFields(Fields):
    """The package's reader: its error, and refusals that quote the value at fault."""

    error = PackageFormatError

    def _unknown_field_message(self, key: str) -> str:
        return f"{self.path}: unknown field {key!r}"

    def _not_an_id_message(self, key: str, value: str) -> str:
        return f"{self.path}.{key}: {value!r} is not an id (a-z, 0-9, '.', '_', '-', at most 64)"


_reading = _PackageFields.reading


def _unique(items: list[T], key: Callable[[T], str], what: str) -> None:
    seen: set[str] = set()
    for item in items:
        k = key(item)
        if k in seen:
            raise PackageFormatError(f"duplicate {what} {k!r}")
        seen.add(k)


def _instant(obj: _PackageFields, key: str) -> datetime:
    text = obj.text(key, 40)
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise PackageFormatError(f"{obj.path}.{key}: {text!r} is not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise PackageFormatError(f"{obj.path}.{key}: {text!r} has no UTC offset")
    return instant


def package_path(text: str, where: str) -> str:
    """A package-relative path: forward slashes, no '..', not absolute, no empty parts."""
    parts = text.split("/")
    if (
        not text
        or len(text) > 255
        or text.startswith("/")
        or "\\" in text
        or ":" in text
        or any(part in ("", ".", "..") for part in parts)
        or any(ord(ch) < 32 for ch in text)
    ):
        raise PackageFormatError(f"{where}: {text!r} is not a safe package-relative path")
    return text


# ---- manifest ---------------------------------------------------------------------------------


def parse_manifest(value: JsonValue) -> Manifest:
    with _reading(value, "manifest") as m:
        schema = m.text("schema")
        if schema != SCHEMA:
            raise PackageFormatError(
                f"manifest.schema: unknown schema version {schema!r} (this kiosk reads {SCHEMA!r})"
            )
        with _reading(m.raw("organizer"), "manifest.organizer") as o:
            organizer = Organizer(name=o.text("name"), public_key=o.b64("public_key", 32))
        time_zone = m.text("time_zone", 64)
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PackageFormatError(
                f"manifest.time_zone: unknown time zone {time_zone!r}"
            ) from None
        with _reading(m.raw("voting_window"), "manifest.voting_window") as w:
            window = VotingWindow(
                opens_at=_instant(w, "opens_at"), closes_at=_instant(w, "closes_at")
            )
        if window.closes_at <= window.opens_at:
            raise PackageFormatError("manifest.voting_window: closes_at is not after opens_at")
        scrutins = [_parse_scrutin(item, path) for path, item in m.array("scrutins", 100)]
        if not scrutins:
            raise PackageFormatError("manifest.scrutins: an election needs at least one scrutin")
        _unique(scrutins, lambda s: s.id, "scrutin id")
        seat_method = _seat_method(m)
        with _reading(m.raw("roll"), "manifest.roll") as r:
            roll_path = package_path(r.text("path"), "manifest.roll.path")
            voter_count = r.integer("voters", 0, 10_000_000)
        with _reading(m.raw("kdf"), "manifest.kdf") as k:
            if k.text("algorithm") != "scrypt":
                raise PackageFormatError("manifest.kdf.algorithm: only 'scrypt' is supported")
            log2_n, block = k.integer("log2_n", 1, 20), k.integer("r", 1, 32)
            parallel = k.integer("p", 1, 16)
            try:
                kdf = KdfParams(log2_n=log2_n, r=block, p=parallel)
            except ValueError as exc:
                raise PackageFormatError(f"manifest.kdf: {exc}") from None
        kiosks = [_parse_kiosk(item, path) for path, item in m.array("kiosks", 10_000)]
        _unique(kiosks, lambda k: k.id, "kiosk id")
        _unique(kiosks, lambda k: k.public_key.hex(), "kiosk public key")
        key_value = m.raw("election_key")
        election_key = None if key_value is None else _parse_election_key(key_value)
        assets = _parse_assets(m.raw("assets"))
        # Optional, and absent rather than null: one signed form for an offline election.
        server = _parse_server(m.raw("server")) if "server" in m.value else None
        manifest = Manifest(
            election_id=ElectionId(m.ident("election_id")),
            title=m.text("title"),
            organizer=organizer,
            time_zone=time_zone,
            window=window,
            scrutins=tuple(scrutins),
            seat_method=seat_method,
            roll_path=roll_path,
            voter_count=voter_count,
            kdf=kdf,
            kiosks=tuple(kiosks),
            election_key=election_key,
            assets=assets,
            server=server,
        )
    _check_asset_references(manifest)
    return manifest


def _seat_method(m: _PackageFields) -> SeatMethod:
    text = m.text("seat_method", 64)
    try:
        return SeatMethod(text)
    except ValueError:
        known = " or ".join(repr(method.value) for method in SeatMethod)
        raise PackageFormatError(
            f"manifest.seat_method: unknown seat allocation method {text!r} ({known})"
        ) from None


def _parse_server(value: JsonValue) -> CentralServer:
    if value is None:
        raise PackageFormatError(
            "manifest.server: null is not allowed (leave the field out for an offline election)"
        )
    with _reading(value, "manifest.server") as s:
        url = check_server_url(s.string("url", _MAX_URL), "manifest.server.url")
        if s.raw("tls_certificate_sha256") is None:
            pin = None
        else:
            pin = s.hex("tls_certificate_sha256", 32)
    if url.startswith("https://") and pin is None:
        raise PackageFormatError(
            "manifest.server.tls_certificate_sha256: an https:// server needs its certificate's "
            "SHA-256 (isoloir server fingerprint --tls-cert CERT)"
        )
    if url.startswith("http://") and pin is not None:
        raise PackageFormatError(
            "manifest.server.tls_certificate_sha256: must be null for an http:// server "
            "(no certificate to pin)"
        )
    return CentralServer(url=url, tls_certificate_sha256=pin)


def check_server_url(text: str, where: str) -> str:
    """``text`` if it is a server URL a package may name, else ``PackageFormatError``.

    ``https://host[:port][/path]``, or ``http://`` to a loopback IP address (127.0.0.0/8, ::1)
    for demos and tests; lowercase scheme and host, no user, query, fragment or trailing '/'.
    """

    def refuse(reason: str) -> PackageFormatError:
        return PackageFormatError(f"{where}: {text[:80]!r} {reason}")

    if len(text) > _MAX_URL or any(ord(ch) <= 32 or ord(ch) == 127 for ch in text):
        raise refuse("is not a URL (too long, or spaces or control characters)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise refuse("is not a URL (bad host or port)") from None
    if parts.scheme not in ("https", "http") or not text.startswith(f"{parts.scheme}://"):
        raise refuse("is not an https:// URL")
    if "@" in parts.netloc:
        raise refuse("may not hold a user name or password")
    if "?" in text or "#" in text:
        raise refuse("may not hold a query or a fragment")
    if parts.netloc != parts.netloc.lower():
        raise refuse("must have its host in lowercase")
    if port == 0 or parts.netloc.endswith(":"):
        raise refuse("has no valid port")
    host = parts.hostname or ""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None and not _HOST_NAME.fullmatch(host):
        raise refuse("names no valid host")
    if not _URL_PATH.fullmatch(parts.path) or "/." in parts.path:
        raise refuse("has a path that is not plain (no trailing '/', no '.' segments)")
    if parts.scheme == "http" and (address is None or not address.is_loopback):
        raise refuse(
            "is plain http:// to a host that is not a loopback IP address (127.0.0.1, ::1): "
            "a real server is https://"
        )
    return text


def _parse_scrutin(value: JsonValue, path: str) -> Scrutin:
    with _reading(value, path) as s:
        lists = [_parse_list(item, p) for p, item in s.array("lists", 200)]
        if not lists:
            raise PackageFormatError(f"{path}.lists: a scrutin needs at least one list")
        _unique(lists, lambda c: c.id, f"list id in {path}")
        if any(c.id == BLANK_OPTION for c in lists):
            raise PackageFormatError(
                f"{path}.lists: the id {BLANK_OPTION!r} is kept for the blank vote"
            )
        with _reading(s.raw("blank_vote"), f"{path}.blank_vote") as b:
            blank_label = b.text("label")
        return Scrutin(
            id=ScrutinId(s.ident("id")),
            title=s.text("title"),
            seats=s.integer("seats", 1, 1000),
            lists=tuple(lists),
            blank_label=blank_label,
        )


def _parse_list(value: JsonValue, path: str) -> CandidateList:
    with _reading(value, path) as c:
        return CandidateList(
            id=ListId(c.ident("id")),
            name=c.text("name"),
            affiliation=c.text("affiliation"),
            logo=package_path(c.text("logo"), f"{path}.logo"),
            profession_de_foi=package_path(
                c.text("profession_de_foi"), f"{path}.profession_de_foi"
            ),
            ballot=package_path(c.text("ballot"), f"{path}.ballot"),
        )


def _parse_kiosk(value: JsonValue, path: str) -> KioskKey:
    with _reading(value, path) as k:
        return KioskKey(
            id=KioskId(k.ident("id")),
            public_key=k.b64("public_key", 32),
            station=k.optional_text("station"),
        )


def _parse_election_key(value: JsonValue) -> ElectionKey:
    with _reading(value, "manifest.election_key") as e:
        trustees = []
        for path, item in e.array("trustees", 100):
            with _reading(item, path) as t:
                commitments = t.b64_list("commitments", 100, length=32)
                trustees.append(
                    TrusteeCommitments(TrusteeId(t.ident("id")), commitments=tuple(commitments))
                )
        _unique(trustees, lambda t: t.trustee_id, "trustee id")
        threshold = e.integer("threshold", 2, 100)
        if threshold > len(trustees):
            raise PackageFormatError("manifest.election_key.threshold: more than the trustees")
        for index, trustee in enumerate(trustees):
            if len(trustee.commitments) != threshold:
                raise PackageFormatError(
                    f"manifest.election_key.trustees[{index}].commitments: "
                    f"{len(trustee.commitments)} given, threshold {threshold} needs {threshold}"
                )
        return ElectionKey(
            joint_public_key=e.b64("joint_public_key", 32),
            threshold=threshold,
            trustees=tuple(trustees),
        )


def _parse_assets(value: JsonValue) -> dict[str, str]:
    if not isinstance(value, dict):
        raise PackageFormatError("manifest.assets: expected an object of path -> sha256")
    if len(value) > 10_000:
        raise PackageFormatError("manifest.assets: more than 10000 files")
    assets: dict[str, str] = {}
    for path, digest in value.items():
        package_path(path, "manifest.assets")
        if path in _RESERVED_NAMES:
            raise PackageFormatError(f"manifest.assets: {path!r} is a reserved package file name")
        if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
            raise PackageFormatError(f"manifest.assets[{path!r}]: expected a lowercase SHA-256 hex")
        assets[path] = digest
    folded = [p.casefold() for p in assets]
    if len(set(folded)) != len(folded):
        raise PackageFormatError("manifest.assets: two paths differ only by case")
    return assets


def _check_asset_references(manifest: Manifest) -> None:
    referenced = {manifest.roll_path}
    for scrutin in manifest.scrutins:
        for lst in scrutin.lists:
            referenced.update(lst.asset_paths)
    missing = sorted(referenced - set(manifest.assets))
    if missing:
        raise PackageFormatError(f"manifest.assets: no hash for referenced file {missing[0]!r}")
    unused = sorted(set(manifest.assets) - referenced)
    if unused:
        raise PackageFormatError(f"manifest.assets: {unused[0]!r} is listed but never referenced")


def manifest_to_json(manifest: Manifest) -> dict[str, JsonValue]:
    key = manifest.election_key
    encoded: dict[str, JsonValue] = {
        "schema": SCHEMA,
        "election_id": manifest.election_id,
        "title": manifest.title,
        "organizer": {
            "name": manifest.organizer.name,
            "public_key": b64encode(manifest.organizer.public_key),
        },
        "time_zone": manifest.time_zone,
        "voting_window": {
            "opens_at": manifest.window.opens_at.isoformat(),
            "closes_at": manifest.window.closes_at.isoformat(),
        },
        "scrutins": [
            {
                "id": s.id,
                "title": s.title,
                "seats": s.seats,
                "lists": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "affiliation": c.affiliation,
                        "logo": c.logo,
                        "profession_de_foi": c.profession_de_foi,
                        "ballot": c.ballot,
                    }
                    for c in s.lists
                ],
                "blank_vote": {"label": s.blank_label},
            }
            for s in manifest.scrutins
        ],
        "seat_method": manifest.seat_method.value,
        "roll": {"path": manifest.roll_path, "voters": manifest.voter_count},
        "kdf": {
            "algorithm": "scrypt",
            "log2_n": manifest.kdf.log2_n,
            "r": manifest.kdf.r,
            "p": manifest.kdf.p,
        },
        "kiosks": [
            {"id": k.id, "public_key": b64encode(k.public_key), "station": k.station}
            for k in manifest.kiosks
        ],
        "election_key": None
        if key is None
        else {
            "joint_public_key": b64encode(key.joint_public_key),
            "threshold": key.threshold,
            "trustees": [
                {"id": t.trustee_id, "commitments": [b64encode(c) for c in t.commitments]}
                for t in key.trustees
            ],
        },
        "assets": dict(manifest.assets),
    }
    if manifest.server is not None:  # absent for an offline election: older packages unchanged
        pin = manifest.server.tls_certificate_sha256
        encoded["server"] = {
            "url": manifest.server.url,
            "tls_certificate_sha256": None if pin is None else pin.hex(),
        }
    return encoded


# ---- roll -------------------------------------------------------------------------------------


def parse_roll(value: JsonValue, manifest: Manifest) -> tuple[Voter, ...]:
    with _reading(value, "roll") as r:
        if r.text("schema") != SCHEMA:
            raise PackageFormatError(
                f"roll.schema: unknown schema version (this kiosk reads {SCHEMA!r})"
            )
        if r.ident("election_id") != manifest.election_id:
            raise PackageFormatError("roll.election_id: does not match the manifest")
        voters = [
            _parse_voter(item, path, manifest) for path, item in r.array("voters", 10_000_000)
        ]
    if len(voters) != manifest.voter_count:
        raise PackageFormatError(
            f"roll: holds {len(voters)} voters, the manifest announces {manifest.voter_count}"
        )
    _unique(voters, lambda v: v.id, "voter id")
    _unique(voters, lambda v: v.identifier.casefold(), "voter identifier")
    return tuple(voters)


def _secret(obj: _PackageFields, key: str) -> SecretHash:
    with _reading(obj.raw(key), f"{obj.path}.{key}") as s:
        return SecretHash(salt=s.b64("salt", 16), digest=s.b64("hash", 32))


def _parse_voter(value: JsonValue, path: str, manifest: Manifest) -> Voter:
    known = {s.id for s in manifest.scrutins}
    with _reading(value, path) as v:
        scrutins: list[ScrutinId] = []
        for spath, item in v.array("scrutins", 100):
            if not isinstance(item, str) or item not in known:
                raise PackageFormatError(f"{spath}: unknown scrutin {str(item)[:64]!r}")
            scrutins.append(ScrutinId(item))
        if len(set(scrutins)) != len(scrutins):
            raise PackageFormatError(f"{path}.scrutins: a scrutin is listed twice")
        identifier = v.text("identifier", 320)
        if not _EMAIL.fullmatch(identifier):
            raise PackageFormatError(f"{path}.identifier: not an e-mail address")
        personal_email = v.optional_text("personal_email", _EMAIL)
        if personal_email is not None and personal_email.casefold() == identifier.casefold():
            raise PackageFormatError(
                f"{path}.personal_email: must differ from the identifier (réassort rule)"
            )
        return Voter(
            id=VoterId(v.ident("id")),
            identifier=identifier,
            display_name=v.text("display_name"),
            password=_secret(v, "password"),
            vote_code=None if v.raw("vote_code") is None else _secret(v, "vote_code"),
            secret_question=v.text("secret_question"),
            secret_answer=_secret(v, "secret_answer"),
            numen=_secret(v, "numen"),
            personal_email=personal_email,
            phone=v.optional_text("phone", _PHONE),
            scrutins=tuple(scrutins),
            station=v.optional_text("station"),
        )


def _secret_json(secret: SecretHash) -> dict[str, JsonValue]:
    return {"salt": b64encode(secret.salt), "hash": b64encode(secret.digest)}


def roll_to_json(
    election_id: ElectionId, voters: tuple[Voter, ...] | list[Voter]
) -> dict[str, JsonValue]:
    return {
        "schema": SCHEMA,
        "election_id": election_id,
        "voters": [
            {
                "id": v.id,
                "identifier": v.identifier,
                "display_name": v.display_name,
                "password": _secret_json(v.password),
                "vote_code": None if v.vote_code is None else _secret_json(v.vote_code),
                "secret_question": v.secret_question,
                "secret_answer": _secret_json(v.secret_answer),
                "numen": _secret_json(v.numen),
                "personal_email": v.personal_email,
                "phone": v.phone,
                "scrutins": list(v.scrutins),
                "station": v.station,
            }
            for v in voters
        ],
    }


__all__ = [
    "PackageFormatError",
    "check_server_url",
    "manifest_to_json",
    "package_path",
    "parse_manifest",
    "parse_roll",
    "roll_to_json",
]
