"""The bulletin board format: strict lines, the hash chain from the genesis, the head (§15.2)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kiosk.crypto.hashing import digest
from kiosk.election.model import ElectionId, KioskId, ScrutinId
from kiosk.record import board as board_io
from kiosk.record.board import Board, BoardError

BASE = digest("test-vector", "board base hash")
SIGNATURE = bytes(range(64))


def small_board(count: int = 4) -> Board:
    board = Board(ElectionId("test-2026"), BASE)
    for i in range(count):
        board.append(ScrutinId("capn"), b"ballot %d" % i, KioskId("kiosk-01"), SIGNATURE)
    return board


def test_entries_link_from_the_genesis_to_the_head() -> None:
    board = small_board()
    entries = board.entries
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == board_io.genesis(BASE)
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    head = board.head()
    assert (head.count, head.head) == (4, entries[-1].hash)
    board_io.check_chain(entries, BASE, head)


def test_an_empty_board_has_the_genesis_for_head() -> None:
    board = Board(ElectionId("test-2026"), BASE)
    assert board.head().head == board_io.genesis(BASE)
    board_io.check_chain([], BASE, board.head())


def test_lines_round_trip_and_the_file_parses(tmp_path: Path) -> None:
    board = small_board()
    board_io.write_board(tmp_path / "board.jsonl", board.entries)
    board_io.write_head(tmp_path / "board-head.json", board.head())
    assert board_io.parse_board((tmp_path / "board.jsonl").read_bytes()) == board.entries
    assert board_io.parse_head((tmp_path / "board-head.json").read_bytes()) == board.head()
    line = json.loads(board.entries[0].to_line())
    assert set(line) == {
        "seq", "scrutin_id", "ballot", "tracking_code", "kiosk_id", "kiosk_signature",
        "prev_hash", "hash",
    }  # fmt: skip


def test_a_copied_ballot_is_refused_on_append() -> None:
    board = small_board(1)
    with pytest.raises(BoardError, match="on the board already"):
        board.append(ScrutinId("capn"), b"ballot 0", KioskId("kiosk-02"), SIGNATURE)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: {**d, "voter_id": "v0001"}, "voter_id: unknown field"),
        (lambda d: {k: v for k, v in d.items() if k != "kiosk_signature"}, "missing"),
        (lambda d: {**d, "seq": 0}, "seq: expected an integer"),
        (lambda d: {**d, "seq": True}, "seq: expected an integer"),
        (lambda d: {**d, "hash": d["hash"].upper()}, "lowercase hex"),
        (lambda d: {**d, "tracking_code": d["tracking_code"].lower()}, "not a tracking code"),
        (lambda d: {**d, "kiosk_id": "Kiosk 1"}, "kiosk_id: not an id"),
        (lambda d: {**d, "ballot": d["ballot"] + "="}, "base64"),
    ],
)
def test_strict_parsing_refuses_what_is_not_an_entry(
    edit: Callable[[dict[str, Any]], dict[str, Any]], message: str
) -> None:
    document = json.loads(small_board(1).entries[0].to_line())
    line = json.dumps(edit(document), sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(BoardError, match=message):
        board_io.parse_entry(line, "board.jsonl:1")


def test_non_canonical_json_and_a_truncated_file_are_refused() -> None:
    line = small_board(1).entries[0].to_line()
    spaced = json.dumps(json.loads(line)).encode()
    with pytest.raises(BoardError, match="canonical"):
        board_io.parse_entry(spaced, "board.jsonl:1")
    with pytest.raises(BoardError, match="not terminated"):
        board_io.parse_board(line[:-1])
    with pytest.raises(BoardError, match=r"board\.jsonl:2"):
        board_io.parse_board(line + b"\n")


def test_a_gap_a_swap_a_subset_or_another_election_breaks_the_chain() -> None:
    board = small_board()
    entries, head = board.entries, board.head()
    with pytest.raises(BoardError, match="line 2 holds seq 3"):
        board_io.check_chain([entries[0], *entries[2:]], BASE, head)
    with pytest.raises(BoardError, match="line 2 holds seq 3"):
        board_io.check_chain([entries[0], entries[2], entries[1], entries[3]], BASE, head)
    with pytest.raises(BoardError, match="holds 3 entries but its head says 4"):
        board_io.check_chain(entries[:3], BASE, head)
    with pytest.raises(BoardError, match="seq 1: prev_hash does not link to the genesis"):
        board_io.check_chain(entries, digest("test-vector", "another election"), head)
    tampered = replace(entries[1], kiosk_id=KioskId("kiosk-02"))
    with pytest.raises(BoardError, match="seq 2: hash is not the hash of the entry"):
        board_io.check_chain([entries[0], tampered, *entries[2:]], BASE, head)
    with pytest.raises(BoardError, match="differs from the head"):
        board_io.check_chain(entries, BASE, replace(head, head=entries[2].hash))
