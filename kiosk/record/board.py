"""The public bulletin board: an append-only, hash-chained list of cast ballots (§15.2).

One JSON object per line (``board.jsonl``, canonical JSON, ``\\n`` after each line), in order:

    {"seq": 1, 2, …, "scrutin_id", "ballot": b64(canonical ballot bytes, §9),
     "tracking_code", "kiosk_id", "kiosk_signature": b64(the kiosk's receipt signature, §12),
     "prev_hash": hex, "hash": hex}

    genesis  = digest("board-genesis", base_hash)
    hash     = digest("board-entry", prev_hash, canonical_json(entry without prev_hash and hash))
    prev_hash of seq 1 = genesis; of seq i + 1 = hash of seq i

and ``board-head.json`` = {"schema": "isoloir.board-head/1", "election_id", "count", "head"},
``head`` the hash of the last entry (the genesis for an empty board). No entry carries a voter
reference, a time or anything else: the envelope's voter id stays with the server's émargement.
The kiosk signature is the receipt's (§12), over (package fingerprint, scrutin, tracking code,
kiosk id), so anyone checks it with the kiosk key from the manifest, and the voter's printed
receipt and the board entry carry the same signature.

Parsing is strict (``parse_entry``, ``parse_head``): canonical JSON, exactly these fields, ids
in the package syntax, canonical base64 and hex. ``check_chain`` checks the links and the head.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from kiosk import durable
from kiosk.crypto.hashing import digest
from kiosk.crypto.tracking import TrackingCode, is_canonical_tracking_code, tracking_code_of_bytes
from kiosk.election.model import ElectionId, KioskId, ScrutinId
from kiosk.encoding import EncodingError, JsonValue, b64encode, canonical_json
from kiosk.jsonfields import Fields, FormatError

HEAD_SCHEMA: Final = "isoloir.board-head/1"
GENESIS_TAG: Final = "board-genesis"
ENTRY_TAG: Final = "board-entry"
HASH_BYTES: Final = 64
SIGNATURE_BYTES: Final = 64
MAX_ENTRIES: Final = 10**9
MAX_LINE_BYTES: Final = 1 << 20  # a 65,535-option ballot would not fit; real ones are ~4 KiB
_MAX_HEAD_BYTES: Final = 4096


class BoardError(ValueError):
    """A board or head file that is not what the format says, or a broken chain; the message
    names the line or the seq at fault."""


@dataclass(frozen=True)
class BoardEntry:
    """One published ballot (docs/protocol.md §15.2)."""

    seq: int
    scrutin_id: ScrutinId
    ballot: bytes  # canonical ballot bytes (§9)
    tracking_code: TrackingCode
    kiosk_id: KioskId
    kiosk_signature: bytes
    prev_hash: bytes
    hash: bytes

    def __repr__(self) -> str:  # kilobytes of ballot help no reader
        return f"BoardEntry(seq={self.seq}, scrutin_id={self.scrutin_id!r})"

    def body(self) -> dict[str, JsonValue]:
        """The fields the entry hash covers, besides prev_hash."""
        return _body(
            self.seq,
            self.scrutin_id,
            self.ballot,
            self.tracking_code,
            self.kiosk_id,
            self.kiosk_signature,
        )

    def computed_hash(self) -> bytes:
        return entry_hash(self.prev_hash, self.body())

    def to_line(self) -> bytes:
        return (
            canonical_json(
                {**self.body(), "prev_hash": self.prev_hash.hex(), "hash": self.hash.hex()}
            )
            + b"\n"
        )


@dataclass(frozen=True)
class BoardHead:
    """How many entries the board holds and the hash of the last one (§15.2)."""

    election_id: ElectionId
    count: int
    head: bytes

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "schema": HEAD_SCHEMA,
                "election_id": self.election_id,
                "count": self.count,
                "head": self.head.hex(),
            }
        )


def genesis(base_hash: bytes) -> bytes:
    """The prev_hash of the first entry: binds the board to one election (§4)."""
    return digest(GENESIS_TAG, base_hash)


def entry_hash(prev_hash: bytes, body: dict[str, JsonValue]) -> bytes:
    return digest(ENTRY_TAG, prev_hash, canonical_json(body))


def _body(
    seq: int,
    scrutin_id: str,
    ballot: bytes,
    tracking_code: str,
    kiosk_id: str,
    kiosk_signature: bytes,
) -> dict[str, JsonValue]:
    return {
        "seq": seq,
        "scrutin_id": scrutin_id,
        "ballot": b64encode(ballot),
        "tracking_code": tracking_code,
        "kiosk_id": kiosk_id,
        "kiosk_signature": b64encode(kiosk_signature),
    }


@dataclass
class Board:
    """A board being built, append only: each entry links to the previous one.

    Refuses a tracking code already on the board (§9: a copied ballot has the same code).
    """

    election_id: ElectionId
    base_hash: bytes
    entries: list[BoardEntry] = field(default_factory=list, init=False)
    _codes: set[str] = field(default_factory=set, init=False, repr=False)

    def append(
        self,
        scrutin_id: ScrutinId,
        ballot: bytes,
        kiosk_id: KioskId,
        kiosk_signature: bytes,
    ) -> BoardEntry:
        code = tracking_code_of_bytes(ballot)
        if code in self._codes:
            raise BoardError(f"tracking code {code} is on the board already")
        if len(kiosk_signature) != SIGNATURE_BYTES:
            raise ValueError("a kiosk signature is 64 bytes")
        seq = len(self.entries) + 1
        prev = self.entries[-1].hash if self.entries else genesis(self.base_hash)
        body = _body(seq, scrutin_id, ballot, code, kiosk_id, kiosk_signature)
        entry = BoardEntry(
            seq, scrutin_id, ballot, code, kiosk_id, kiosk_signature, prev, entry_hash(prev, body)
        )
        self.entries.append(entry)
        self._codes.add(code)
        return entry

    def head(self) -> BoardHead:
        last = self.entries[-1].hash if self.entries else genesis(self.base_hash)
        return BoardHead(self.election_id, len(self.entries), last)


# ---- reading -------------------------------------------------------------------------------------


def parse_entry(line: bytes, where: str) -> BoardEntry:
    """One line's bytes (without its ``\\n``), strictly; else ``BoardError`` naming ``where``."""
    if len(line) > MAX_LINE_BYTES:
        raise BoardError(f"{where}: longer than {MAX_LINE_BYTES} bytes")
    try:
        top = Fields.load(line, where)
        if canonical_json(top.value) != line:
            raise FormatError(f"{where}: not in canonical JSON form")
        entry = BoardEntry(
            seq=top.integer("seq", 1, MAX_ENTRIES),
            scrutin_id=ScrutinId(top.ident("scrutin_id")),
            ballot=top.b64("ballot"),
            tracking_code=_tracking_code(top),
            kiosk_id=KioskId(top.ident("kiosk_id")),
            kiosk_signature=top.b64("kiosk_signature", SIGNATURE_BYTES),
            prev_hash=top.hex("prev_hash", HASH_BYTES),
            hash=top.hex("hash", HASH_BYTES),
        )
        top.done()
    except (FormatError, EncodingError) as exc:
        raise BoardError(str(exc)) from None
    return entry


def _tracking_code(top: Fields) -> TrackingCode:
    text = top.string("tracking_code", 39)
    if not is_canonical_tracking_code(text):
        raise FormatError(f"{top.path}.tracking_code: not a tracking code (XXXX-XXXX-…)")
    return TrackingCode(text)


def split_lines(data: bytes, where: str = "board.jsonl") -> Iterator[tuple[str, bytes]]:
    """(``where:line``, line bytes) for each line; a missing last ``\\n`` or a CR is refused."""
    if not data:
        return
    if not data.endswith(b"\n"):
        raise BoardError(f"{where}: the last line is not terminated (a truncated file?)")
    for number, line in enumerate(data[:-1].split(b"\n"), start=1):
        yield f"{where}:{number}", line


def parse_board(data: bytes, where: str = "board.jsonl") -> list[BoardEntry]:
    """Every entry of a board file, strictly; the first bad line is a ``BoardError``."""
    return [parse_entry(line, at) for at, line in split_lines(data, where)]


def parse_head(data: bytes, where: str = "board-head.json") -> BoardHead:
    if len(data) > _MAX_HEAD_BYTES:
        raise BoardError(f"{where}: too large for a board head")
    try:
        top = Fields.load(data, where)
        if canonical_json(top.value) != data:
            raise FormatError(f"{where}: not in canonical JSON form")
        top.constant("schema", HEAD_SCHEMA)
        head = BoardHead(
            election_id=ElectionId(top.ident("election_id")),
            count=top.integer("count", 0, MAX_ENTRIES),
            head=top.hex("head", HASH_BYTES),
        )
        top.done()
    except (FormatError, EncodingError) as exc:
        raise BoardError(str(exc)) from None
    return head


def check_chain(entries: Sequence[BoardEntry], base_hash: bytes, head: BoardHead) -> None:
    """The entries are the whole board the head names, from the genesis, linked in order.

    A missing, repeated or reordered entry breaks a seq or a link; a subset or an extension of
    the board disagrees with the head's count or hash. Raises ``BoardError`` naming the seq.
    """
    prev = genesis(base_hash)
    for position, entry in enumerate(entries, start=1):
        if entry.seq != position:
            raise BoardError(
                f"line {position} holds seq {entry.seq}, not {position}: "
                "an entry is missing, repeated or out of order"
            )
        if entry.prev_hash != prev:
            to = "the genesis of this election" if position == 1 else f"seq {position - 1}"
            raise BoardError(f"seq {entry.seq}: prev_hash does not link to {to}")
        if entry.computed_hash() != entry.hash:
            raise BoardError(f"seq {entry.seq}: hash is not the hash of the entry")
        prev = entry.hash
    if head.count != len(entries):
        raise BoardError(
            f"the board holds {len(entries)} entries but its head says {head.count}: "
            "not the whole board"
        )
    if head.head != prev:
        raise BoardError(
            "the last entry's hash differs from the head: not the board the head names"
        )


# ---- writing -------------------------------------------------------------------------------------


def write_board(path: Path, entries: Sequence[BoardEntry]) -> None:
    """Create ``path`` (never overwriting) with every entry, one line each, fsynced."""
    durable.write_new_file(path, b"".join(entry.to_line() for entry in entries))


def write_head(path: Path, head: BoardHead) -> None:
    durable.write_new_file(path, head.to_json())
