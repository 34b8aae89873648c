"""Check and sum every ballot of a board, on every core for a large board (§15.3).

One pass over the entries does, for each: decode the ballot strictly for its scrutin (§9),
recompute its tracking code, check the kiosk's signature with the key the manifest lists (§12),
verify every proof (§7, §8), and add its ciphertexts into the scrutin's running sum (§14). The
tracking codes' uniqueness is checked across the whole board. ``tally aggregate`` refuses a board
with any finding; the verifier reports each kind of finding as its own check.

Each finding names the entry's seq, never anything about a voter (the board has none).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from kiosk.crypto import elgamal
from kiosk.crypto.ballot import BallotFormatError, BallotVerdict, check_ballot, decode_ballot
from kiosk.crypto.context import ElectionContext, election_context
from kiosk.crypto.elgamal import Ciphertext
from kiosk.crypto.group import GroupError
from kiosk.crypto.receipt import Receipt, verify_receipt
from kiosk.crypto.tracking import TrackingCode, tracking_code_of_bytes
from kiosk.election.model import ElectionPackage, KioskId, Scrutin, ScrutinId
from kiosk.record.board import BoardEntry

PARALLEL_MIN: Final = 256
"""Below this many entries, one process is faster than starting a pool."""

_Item = tuple[int, str, bytes, str, str, bytes]  # seq, scrutin, ballot, code, kiosk, signature


@dataclass(frozen=True)
class ScanSetup:
    """The public facts every entry is checked against, all from the sealed package."""

    context: ElectionContext
    fingerprint: str
    scrutins: Mapping[ScrutinId, Scrutin]
    kiosks: Mapping[KioskId, bytes]  # Ed25519 public keys

    @classmethod
    def of(cls, package: ElectionPackage) -> ScanSetup:
        """``NotSealedError`` when the package has no election key."""
        manifest = package.manifest
        return cls(
            context=election_context(package),
            fingerprint=package.fingerprint,
            scrutins={s.id: s for s in manifest.scrutins},
            kiosks={k.id: k.public_key for k in manifest.kiosks},
        )


@dataclass
class BoardScan:
    """What one pass over the board found; every list names seqs, in board order."""

    entries: int = 0
    malformed: list[tuple[int, str]] = field(default_factory=list)
    wrong_codes: list[int] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (seq, first seq)
    bad_signatures: list[tuple[int, str]] = field(default_factory=list)
    bad_proofs: list[tuple[int, str]] = field(default_factory=list)
    ballots: dict[ScrutinId, int] = field(default_factory=dict)  # entries that decoded
    sums: dict[ScrutinId, list[Ciphertext]] = field(default_factory=dict)
    sum_failed: bool = False  # a running sum reached the identity: hostile data

    @property
    def clean(self) -> bool:
        return not (
            self.malformed
            or self.wrong_codes
            or self.duplicates
            or self.bad_signatures
            or self.bad_proofs
            or self.sum_failed
        )

    def findings(self) -> list[str]:
        """One line per kind of finding, naming the first seqs: for an error message."""
        lines = []
        for what, seqs in (
            ("ballot that does not parse", [s for s, _ in self.malformed]),
            ("tracking code that is not its ballot's", self.wrong_codes),
            ("tracking code already used by an earlier entry", [s for s, _ in self.duplicates]),
            ("invalid kiosk signature", [s for s, _ in self.bad_signatures]),
            ("invalid ballot proof", [s for s, _ in self.bad_proofs]),
        ):
            if seqs:
                lines.append(f"{len(seqs)} {what}(s): seq {name_seqs(seqs)}")
        if self.sum_failed:
            lines.append("the ciphertexts' sum reached the identity: hostile ballots")
        return lines


def name_seqs(seqs: Sequence[int], shown: int = 10) -> str:
    text = ", ".join(str(s) for s in seqs[:shown])
    return text + (f" and {len(seqs) - shown} more" if len(seqs) > shown else "")


def scan(setup: ScanSetup, entries: Sequence[BoardEntry], workers: int | None = None) -> BoardScan:
    """Check and sum every entry; ``workers`` processes (default: every core for a large board)."""
    items: list[_Item] = [
        (e.seq, e.scrutin_id, e.ballot, e.tracking_code, e.kiosk_id, e.kiosk_signature)
        for e in entries
    ]
    if workers is None:
        workers = (os.cpu_count() or 1) if len(items) >= PARALLEL_MIN else 1
    if workers <= 1:
        parts: Iterable[BoardScan] = [_scan_items(setup, items)]
    else:
        size = max(16, min(512, len(items) // (workers * 8) + 1))
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        with multiprocessing.Pool(workers, _init_worker, (setup,)) as pool:
            parts = pool.map(_scan_chunk, chunks)
    total = _merge(parts)
    total.entries = len(items)
    # A repeat of the stated code or of the ballot itself (its real code) is a duplicate.
    first: dict[str, int] = {}
    for e in entries:
        codes = {e.tracking_code, tracking_code_of_bytes(e.ballot)}
        earlier = [first[code] for code in codes if code in first]
        if earlier:
            total.duplicates.append((e.seq, min(earlier)))
        for code in codes:
            first.setdefault(code, e.seq)
    return total


_worker_setup: ScanSetup | None = None


def _init_worker(setup: ScanSetup) -> None:
    global _worker_setup  # one setup per worker process, sent once
    _worker_setup = setup


def _scan_chunk(items: list[_Item]) -> BoardScan:
    assert _worker_setup is not None, "worker not initialized"
    return _scan_items(_worker_setup, items)


def _scan_items(setup: ScanSetup, items: list[_Item]) -> BoardScan:
    result = BoardScan()
    for seq, scrutin_id, ballot_bytes, code, kiosk_id, signature in items:
        scrutin = setup.scrutins.get(ScrutinId(scrutin_id))
        if scrutin is None:
            result.malformed.append((seq, f"unknown scrutin {scrutin_id!r}"))
            continue
        try:
            ballot = decode_ballot(ballot_bytes, scrutin)
        except BallotFormatError as exc:
            result.malformed.append((seq, str(exc)))
            continue
        if tracking_code_of_bytes(ballot_bytes) != code:
            result.wrong_codes.append(seq)
        public_key = setup.kiosks.get(KioskId(kiosk_id))
        if public_key is None:
            result.bad_signatures.append((seq, f"kiosk {kiosk_id!r} is not in the manifest"))
        else:
            receipt = Receipt(
                setup.fingerprint,
                ScrutinId(scrutin_id),
                TrackingCode(code),
                KioskId(kiosk_id),
                signature,
            )
            if not verify_receipt(receipt, public_key):
                result.bad_signatures.append((seq, f"not signed by kiosk {kiosk_id}"))
        verdict = check_ballot(setup.context, scrutin, ballot)
        if verdict is not BallotVerdict.VALID:
            result.bad_proofs.append((seq, verdict.value))
        result.ballots[scrutin.id] = result.ballots.get(scrutin.id, 0) + 1
        if not result.sum_failed:
            result.sum_failed = not _accumulate(result.sums, scrutin.id, ballot.ciphertexts)
    return result


def _accumulate(
    sums: dict[ScrutinId, list[Ciphertext]],
    scrutin_id: ScrutinId,
    ciphertexts: Sequence[Ciphertext],
) -> bool:
    running = sums.get(scrutin_id)
    if running is None:
        sums[scrutin_id] = list(ciphertexts)
        return True
    try:
        for i, ct in enumerate(ciphertexts):
            running[i] = elgamal.add(running[i], ct)
    except GroupError:
        return False
    return True


def _merge(parts: Iterable[BoardScan]) -> BoardScan:
    total = BoardScan()
    for part in parts:
        total.malformed += part.malformed
        total.wrong_codes += part.wrong_codes
        total.bad_signatures += part.bad_signatures
        total.bad_proofs += part.bad_proofs
        total.sum_failed = total.sum_failed or part.sum_failed
        for sid, count in part.ballots.items():
            total.ballots[sid] = total.ballots.get(sid, 0) + count
        for sid, cts in part.sums.items():
            if not total.sum_failed:
                total.sum_failed = not _accumulate(total.sums, sid, cts)
    for findings in (total.malformed, total.bad_signatures, total.bad_proofs):
        findings.sort()
    total.wrong_codes.sort()
    return total
