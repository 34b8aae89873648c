"""Where each file of an election record lives (docs/protocol.md §15.1).

DIR/package/            the sealed, signed election package
DIR/board.jsonl         the bulletin board, one entry per line
DIR/board-head.json     its entry count and head hash
DIR/aggregate.json      the homomorphic sum of the whole board, per scrutin and option
DIR/partials/<trustee>.json   each participating trustee's partial decryptions
DIR/partials-rejected/  partial decryptions ``tally combine`` set aside (not checked)
DIR/results.json        the results (canonical JSON, docs/results.md)
DIR/results.pdf         the printed results report
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kiosk.files import TooLargeError, read_file_at_most

PACKAGE: Final = "package"
BOARD: Final = "board.jsonl"
BOARD_HEAD: Final = "board-head.json"
AGGREGATE: Final = "aggregate.json"
PARTIALS: Final = "partials"
PARTIALS_REJECTED: Final = "partials-rejected"
MISNAMED_PARTIAL: Final = "the file is not named after its trustee"
RESULTS_JSON: Final = "results.json"
RESULTS_PDF: Final = "results.pdf"

MAX_BOARD_BYTES: Final = 16 << 30
MAX_JSON_BYTES: Final = 64 << 20


class RecordError(ValueError):
    """A record, or one of its files, refused; the message names the file and why."""


@dataclass(frozen=True)
class RecordLayout:
    root: Path

    @property
    def package(self) -> Path:
        return self.root / PACKAGE

    @property
    def board(self) -> Path:
        return self.root / BOARD

    @property
    def board_head(self) -> Path:
        return self.root / BOARD_HEAD

    @property
    def aggregate(self) -> Path:
        return self.root / AGGREGATE

    @property
    def partials(self) -> Path:
        return self.root / PARTIALS

    def partial(self, trustee_id: str) -> Path:
        """Where trustee ``trustee_id``'s partial decryptions must be: no other name is read."""
        return self.partials / f"{trustee_id}.json"

    def partial_files(self) -> list[Path]:
        """Every ``partials/*.json``, sorted by name; none when the folder is absent."""
        return _json_files(self.partials)

    @property
    def partials_rejected(self) -> Path:
        return self.root / PARTIALS_REJECTED

    def rejected_partial_files(self) -> list[Path]:
        """Every ``partials-rejected/*.json``: set aside by ``tally combine``, never checked."""
        return _json_files(self.partials_rejected)

    @property
    def results_json(self) -> Path:
        return self.root / RESULTS_JSON

    @property
    def results_pdf(self) -> Path:
        return self.root / RESULTS_PDF


def _json_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.json"))


def read_file(path: Path, limit: int = MAX_JSON_BYTES) -> bytes:
    """The bytes of a record file, refusing a link, a missing file or one larger than ``limit``."""
    if path.is_symlink():
        raise RecordError(f"{path.name}: a symbolic link, refused")
    try:
        return read_file_at_most(path, limit)
    except TooLargeError as exc:
        raise RecordError(f"{path.name}: {exc}") from None
    except FileNotFoundError:
        raise RecordError(f"{path.name}: missing") from None
    except OSError as exc:
        raise RecordError(f"{path.name}: cannot read ({exc.strerror})") from None
