"""The board page's HTML: ``templates/board.html`` filled in from a language's texts and the
board's public facts.

Every value is escaped as it goes in; the only markup inserted is made here, from escaped text.
The result messages travel to the script as JSON inside a ``<script type="application/json">``
block, which the Content-Security-Policy allows because a browser never runs it.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Final, Literal

from server.web.board_view import BoardSummary, PublishedEntry
from server.web.texts import PageTexts

TEMPLATE: Final = Path(__file__).parent / "templates" / "board.html"

Outcome = Literal["idle", "found", "not-found", "invalid"]


@dataclass(frozen=True)
class BoardFacts:
    election_title: str  # from the signed package
    fingerprint: str
    summary: BoardSummary
    upload_megabytes: int


@dataclass(frozen=True)
class CodeResult:
    """What a tracking-code lookup found, for the page rendered without its script."""

    outcome: Outcome
    code: str  # canonical when valid, else as typed
    entry: PublishedEntry | None = None
    scrutin_title: str | None = None


@cache
def _template() -> Template:
    return Template(TEMPLATE.read_text(encoding="utf-8"))


def render_page(texts: PageTexts, facts: BoardFacts, result: CodeResult | None = None) -> str:
    head = facts.summary.head_hash
    outcome, lines = _result_lines(texts, result)
    values = {
        "lang": texts.language,
        "other_language": texts.other_language,
        "other_language_name": texts.other_language_name,
        "language_nav": texts.language_nav,
        "page_title": texts.page_title,
        "election_title": facts.election_title,
        "intro": texts.intro,
        "board_heading": texts.board_heading,
        "entries_label": texts.entries_label,
        "entry_count": str(facts.summary.entry_count),
        "fingerprint_label": texts.fingerprint_label,
        "fingerprint": facts.fingerprint,
        "head_label": texts.head_label,
        "head_hash": head.hex() if head is not None else texts.empty_head,
        "code_heading": texts.code_heading,
        "code_label": texts.code_label,
        "code_hint": texts.code_hint,
        "code_button": texts.code_button,
        "code": result.code if result is not None else "",
        "receipt_heading": texts.receipt_heading,
        "receipt_label": texts.receipt_label,
        "receipt_hint": texts.receipt_hint.format(megabytes=facts.upload_megabytes),
        "receipt_button": texts.receipt_button,
        "result_heading": texts.result_heading,
        "outcome": outcome,
        "noscript": texts.noscript,
        "audit_note": texts.audit_note,
    }
    escaped = {name: html.escape(value) for name, value in values.items()}
    escaped["result"] = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    escaped["messages_json"] = _script_json(texts.messages.as_json())
    return _template().substitute(escaped)


def _result_lines(texts: PageTexts, result: CodeResult | None) -> tuple[Outcome, list[str]]:
    messages = texts.messages
    if result is None:
        return "idle", [texts.result_idle]
    if result.outcome == "invalid":
        return "invalid", [messages.invalid_tracking_code]
    if result.entry is None:
        return "not-found", [messages.not_found.format(code=result.code), messages.pending_note]
    entry = result.entry
    found = messages.found.format(
        code=entry.tracking_code,
        seq=entry.seq,
        scrutin=result.scrutin_title or entry.scrutin_id,
        kiosk=entry.kiosk_id,
    )
    return "found", [found]


def _script_json(value: dict[str, str]) -> str:
    """JSON that cannot close its ``<script>`` element: every ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
