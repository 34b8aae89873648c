"""Who may do what at the admin console: two roles, one permission table.

An assesseur runs the polling station (polls, reports, voters' help, dashboard, diagnostics);
an administrator does all of that and what changes the kiosk itself (package, enrollment,
operators, exports, reopening closed polls, leaving the kiosk window).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Final


class Role(Enum):
    ADMINISTRATOR = "administrator"
    ASSESSEUR = "assesseur"


class Action(Enum):
    """Every admin action, one member each."""

    OPEN_POLLS = "open_polls"
    PAUSE_POLLS = "pause_polls"
    RESUME_POLLS = "resume_polls"
    CLOSE_POLLS = "close_polls"
    REOPEN_POLLS = "reopen_polls"
    PRINT_REPORT = "print_report"
    VIEW_DASHBOARD = "view_dashboard"
    SYNC_NOW = "sync_now"
    EXPORT_MEDIA = "export_media"
    VIEW_JOURNAL = "view_journal"
    EXPORT_JOURNAL = "export_journal"
    SUPERVISED_REASSORT = "supervised_reassort"
    UNLOCK_VOTER = "unlock_voter"
    PRINTER_TEST = "printer_test"
    DIAGNOSTICS = "diagnostics"
    LOAD_PACKAGE = "load_package"
    ENROLL = "enroll"
    MANAGE_OPERATORS = "manage_operators"
    UNLOCK_OPERATOR = "unlock_operator"
    QUIT_KIOSK = "quit_kiosk"


_ASSESSEUR: Final = frozenset(
    {
        Action.OPEN_POLLS,
        Action.PAUSE_POLLS,
        Action.RESUME_POLLS,
        Action.CLOSE_POLLS,
        Action.PRINT_REPORT,
        Action.VIEW_DASHBOARD,
        Action.SYNC_NOW,
        Action.VIEW_JOURNAL,
        Action.SUPERVISED_REASSORT,
        Action.UNLOCK_VOTER,
        Action.PRINTER_TEST,
        Action.DIAGNOSTICS,
    }
)

PERMISSIONS: Final[Mapping[Role, frozenset[Action]]] = MappingProxyType(
    {
        Role.ADMINISTRATOR: frozenset(Action),
        Role.ASSESSEUR: _ASSESSEUR,
    }
)
"""What each role may do; read-only."""


def allowed(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]
