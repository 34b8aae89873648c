"""The removable-media bundle: one file, one canonical JSON object (docs/server.md, "Removable
media"), signed by the kiosk that sealed every envelope in it.

    {"count": n, "election_id", "fingerprint": the package's, "format": "isoloir.bundle/1",
     "items": [{"cast": "in_window", "envelope": b64, "receipt_signature": b64}, ...],
     "kiosk_id", "root": hex, "signature": b64(64 bytes)}

    item_hash = H("bundle-item", envelope, receipt_signature, cast)
    root      = H("bundle-root", item_hash_1, ..., item_hash_n)      the n hashes sorted
    signature = Ed25519(kiosk key, tagged("bundle", canonical_json(the object without "items"
                                                                   and "signature")))

``H`` is the protocol's framed, tagged SHA-512 (docs/protocol.md §3). The items are shuffled and
the root is over their sorted hashes, so neither the order nor the signature says anything of
the order of the casts; nothing in the file is a time. ``cast`` is the kiosk's statement, from
its own émargement, that the ballot was cast inside the package's voting window (or before it
opened, or after it closed): the import's window rule, since a bundle arrives after the polls
close. Qt-free, store-free and server-free: the kiosk builds bundles with it, the server parses
and checks them with it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.crypto.envelope import EnvelopeFormatError, decode_envelope
from kiosk.crypto.hashing import digest, tagged
from kiosk.election import signing
from kiosk.election.model import ElectionId, ElectionPackage, KioskId, VotingWindow
from kiosk.encoding import EncodingError, JsonValue, b64encode, canonical_json
from kiosk.jsonfields import Fields, FormatError

BUNDLE_FORMAT: Final = "isoloir.bundle/1"
BUNDLE_SUFFIX: Final = ".isoloir-bundle"
"""The suggested file name ending; any name is read."""
BUNDLE_TAG: Final = "bundle"
ITEM_TAG: Final = "bundle-item"
ROOT_TAG: Final = "bundle-root"
MAX_BUNDLE_BYTES: Final = 128 << 20
MAX_ITEMS: Final = 50_000
MAX_ENVELOPE_BYTES: Final = 1 << 20  # as the upload's (server/envelopes.py)
HASH_BYTES: Final = 64
SIGNATURE_BYTES: Final = 64
_FINGERPRINT_LENGTH: Final = 19  # XXXX-XXXX-XXXX-XXXX (kiosk.election.package.fingerprint)
_BASE32: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_MAX_ENVELOPE_TEXT: Final = 4 * ((MAX_ENVELOPE_BYTES + 2) // 3)


class BundleFormatError(ValueError):
    """Bytes that are not a bundle; the message names the field at fault, never its content."""


class CastWindow(StrEnum):
    """When a ballot was cast, against the package's voting window, by the kiosk's émargement."""

    IN_WINDOW = "in_window"
    BEFORE_OPENING = "before_opening"
    AFTER_CLOSING = "after_closing"

    @classmethod
    def of(cls, cast_at: datetime, window: VotingWindow) -> CastWindow:
        if cast_at < window.opens_at:
            return cls.BEFORE_OPENING
        if cast_at >= window.closes_at:
            return cls.AFTER_CLOSING
        return cls.IN_WINDOW


@dataclass(frozen=True)
class BundleItem:
    """One sealed envelope (docs/protocol.md §11), the receipt signature the voter's proof of
    deposit carries (§12, which the board publishes) and the kiosk's window statement."""

    envelope: bytes
    receipt_signature: bytes
    cast: CastWindow

    def __repr__(self) -> str:  # the envelope names a voter: keep it out of tracebacks
        return f"BundleItem({len(self.envelope)} bytes, {self.cast.value})"

    def item_hash(self) -> bytes:
        return digest(ITEM_TAG, self.envelope, self.receipt_signature, self.cast.value)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "cast": self.cast.value,
            "envelope": b64encode(self.envelope),
            "receipt_signature": b64encode(self.receipt_signature),
        }


def hash_root(items: Iterable[BundleItem]) -> bytes:
    """The root over the items' sorted hashes: the same set of items gives the same root in
    any order."""
    return root_of_hashes(item.item_hash() for item in items)


def root_of_hashes(item_hashes: Iterable[bytes]) -> bytes:
    """``H("bundle-root", the hashes sorted)``: a bundle's root, and a polls report's over its
    board items (``kiosk.admin.reports``)."""
    return digest(ROOT_TAG, *sorted(item_hashes))


@dataclass(frozen=True)
class Bundle:
    election_id: ElectionId
    fingerprint: str  # the election package's
    kiosk_id: KioskId
    root: bytes
    items: tuple[BundleItem, ...]
    signature: bytes

    def __repr__(self) -> str:
        return f"Bundle(kiosk_id={self.kiosk_id!r}, count={len(self.items)})"

    def header(self) -> dict[str, JsonValue]:
        """What the signature covers: everything but the items (bound by ``root``)."""
        return {
            "count": len(self.items),
            "election_id": self.election_id,
            "fingerprint": self.fingerprint,
            "format": BUNDLE_FORMAT,
            "kiosk_id": self.kiosk_id,
            "root": self.root.hex(),
        }

    def signed_bytes(self) -> bytes:
        return tagged(BUNDLE_TAG, canonical_json(self.header()))

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                **self.header(),
                "items": [item.to_json() for item in self.items],
                "signature": b64encode(self.signature),
            }
        )


def seal_bundle(
    key: Ed25519PrivateKey,
    *,
    election_id: ElectionId,
    fingerprint: str,
    kiosk_id: KioskId,
    items: Sequence[BundleItem],
    shuffle: Callable[[list[BundleItem]], None] | None = None,
) -> Bundle:
    """Shuffle ``items`` (``secrets.SystemRandom`` unless given) and sign them as one bundle.

    ``ValueError`` for what no reader would take: no item, too many, an envelope that is not
    this election's and this kiosk's, or one envelope twice."""
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ValueError(f"a bundle holds 1 to {MAX_ITEMS} envelopes, not {len(items)}")
    seen: set[bytes] = set()
    for item in items:
        try:
            envelope = decode_envelope(item.envelope)
        except EnvelopeFormatError:
            raise ValueError("an item is not a canonical envelope") from None
        if envelope.kiosk_id != kiosk_id or envelope.election_id != election_id:
            raise ValueError("an envelope of another kiosk or election cannot be bundled here")
        if envelope.envelope_id in seen:
            raise ValueError("an envelope is in the bundle twice")
        seen.add(envelope.envelope_id)
    order = list(items)
    (shuffle or secrets.SystemRandom().shuffle)(order)
    unsigned = Bundle(election_id, fingerprint, kiosk_id, hash_root(order), tuple(order), b"")
    return Bundle(
        election_id,
        fingerprint,
        kiosk_id,
        unsigned.root,
        unsigned.items,
        key.sign(unsigned.signed_bytes()),
    )


class _Fields(Fields):
    error: ClassVar[type[ValueError]] = BundleFormatError

    def item(self) -> BundleItem:
        cast = self.string("cast", 20)
        if cast not in _CAST_VALUES:
            self._refuse("cast", f"expected one of {', '.join(sorted(_CAST_VALUES))}")
        text = self.string("envelope", _MAX_ENVELOPE_TEXT)
        envelope = self._b64(text, f"{self.path}.envelope", None)
        signature = self.b64("receipt_signature", SIGNATURE_BYTES)
        return BundleItem(envelope, signature, CastWindow(cast))


_CAST_VALUES: Final = frozenset(window.value for window in CastWindow)


def parse_bundle(data: bytes, where: str = "bundle") -> Bundle:
    """Strictly: at most ``MAX_BUNDLE_BYTES`` of canonical JSON with exactly these fields, every
    envelope canonical, this election's and this kiosk's, none twice. ``BundleFormatError``
    otherwise, and for nothing else; neither the root nor the signature is checked here
    (``check_bundle``)."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleFormatError(f"{where}: larger than {MAX_BUNDLE_BYTES} bytes")
    if data.startswith(_ZIP_MAGIC):
        raise BundleFormatError(
            f"{where}: a zip archive, not a bundle (a bundle is one canonical JSON file)"
        )
    try:
        top = _Fields.load(data, where)
        if canonical_json(top.value) != data:
            raise BundleFormatError(f"{where}: not in canonical JSON form")
    except (EncodingError, FormatError) as exc:
        raise BundleFormatError(str(exc)) from None
    found = top.raw("format")
    if found != BUNDLE_FORMAT:
        shown = repr(found[:40]) if isinstance(found, str) else "not text"
        raise BundleFormatError(
            f"{where}.format: {shown} is not a format this program reads ({BUNDLE_FORMAT!r})"
        )
    count = top.integer("count", 1, MAX_ITEMS)
    election_id = ElectionId(top.ident("election_id"))
    fingerprint = top.string("fingerprint", _FINGERPRINT_LENGTH)
    if not _is_fingerprint(fingerprint):
        raise BundleFormatError(f"{where}.fingerprint: not a package fingerprint")
    kiosk_id = KioskId(top.ident("kiosk_id"))
    root = top.hex("root", HASH_BYTES)
    signature = top.b64("signature", SIGNATURE_BYTES)
    listed = top.array("items", MAX_ITEMS)
    top.done()
    if len(listed) != count:
        raise BundleFormatError(f"{where}.items: {len(listed)} items, but count says {count}")
    items: list[BundleItem] = []
    seen: set[bytes] = set()
    for path, value in listed:
        with _Fields.reading(value, path) as fields:
            item = fields.item()
        try:
            envelope = decode_envelope(item.envelope)
        except EnvelopeFormatError:
            raise BundleFormatError(f"{path}.envelope: not a canonical envelope") from None
        if envelope.election_id != election_id:
            raise BundleFormatError(f"{path}.envelope: names another election than the bundle")
        if envelope.kiosk_id != kiosk_id:
            raise BundleFormatError(f"{path}.envelope: sealed by another kiosk than the bundle's")
        if envelope.envelope_id in seen:
            raise BundleFormatError(f"{path}.envelope: this envelope is in the bundle twice")
        seen.add(envelope.envelope_id)
        items.append(item)
    return Bundle(election_id, fingerprint, kiosk_id, root, tuple(items), signature)


def _is_fingerprint(text: str) -> bool:
    groups = text.split("-")
    return len(groups) == 4 and all(len(g) == 4 and set(g) <= _BASE32 for g in groups)


class BundleRefusalCode(StrEnum):
    """Why a well-formed bundle is refused whole; stable codes."""

    WRONG_ELECTION = "wrong_election"
    WRONG_PACKAGE = "wrong_package"
    UNKNOWN_KIOSK = "unknown_kiosk"
    ROOT_MISMATCH = "root_mismatch"
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True)
class BundleRefusal:
    code: BundleRefusalCode
    detail: str


def check_bundle(bundle: Bundle, package: ElectionPackage) -> BundleRefusal | None:
    """None when ``bundle`` is this election's and package's, from a kiosk the package lists,
    its items hash to its root and that kiosk's key (the package's) signed it; else the first
    failure, in that order."""
    manifest = package.manifest
    if bundle.election_id != manifest.election_id:
        return BundleRefusal(
            BundleRefusalCode.WRONG_ELECTION,
            f"the bundle is for election {bundle.election_id!r}, not {manifest.election_id!r}",
        )
    if bundle.fingerprint != package.fingerprint:
        return BundleRefusal(
            BundleRefusalCode.WRONG_PACKAGE,
            f"the bundle was made under package {bundle.fingerprint}, not this package "
            f"({package.fingerprint})",
        )
    key = next((k.public_key for k in manifest.kiosks if k.id == bundle.kiosk_id), None)
    if key is None:
        return BundleRefusal(
            BundleRefusalCode.UNKNOWN_KIOSK,
            f"the election package lists no kiosk {bundle.kiosk_id!r}",
        )
    if hash_root(bundle.items) != bundle.root:
        return BundleRefusal(
            BundleRefusalCode.ROOT_MISMATCH,
            "the envelopes do not hash to the bundle's root: one was altered, removed or added",
        )
    if not signing.verify(key, bundle.signature, bundle.signed_bytes()):
        return BundleRefusal(
            BundleRefusalCode.BAD_SIGNATURE,
            f"the bundle is not signed by kiosk {bundle.kiosk_id!r}'s key (the package's)",
        )
    return None
