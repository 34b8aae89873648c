"""Who may do what (kiosk/admin/roles.py), and the console enforcing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.admin.console import AdminSession, NotAllowed
from kiosk.admin.roles import PERMISSIONS, Action, Role, allowed

ADMINISTRATOR_ONLY = {
    Action.REOPEN_POLLS,
    Action.EXPORT_MEDIA,
    Action.EXPORT_JOURNAL,
    Action.LOAD_PACKAGE,
    Action.ENROLL,
    Action.MANAGE_OPERATORS,
    Action.UNLOCK_OPERATOR,
    Action.QUIT_KIOSK,
}


def test_an_administrator_may_do_everything() -> None:
    assert all(allowed(Role.ADMINISTRATOR, action) for action in Action)


def test_an_assesseur_runs_the_station_but_does_not_change_the_kiosk() -> None:
    assert {a for a in Action if not allowed(Role.ASSESSEUR, a)} == ADMINISTRATOR_ONLY
    for action in (
        Action.OPEN_POLLS,
        Action.PAUSE_POLLS,
        Action.RESUME_POLLS,
        Action.CLOSE_POLLS,
        Action.SUPERVISED_REASSORT,
        Action.UNLOCK_VOTER,
    ):
        assert allowed(Role.ASSESSEUR, action)  # fmt: skip


def test_the_permission_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        PERMISSIONS[Role.ASSESSEUR] = frozenset(Action)  # type: ignore[index]


def test_the_console_refuses_what_the_role_does_not_allow(
    assesseur: AdminSession, admin: AdminSession, tmp_path: Path
) -> None:
    for action in ADMINISTRATOR_ONLY:
        assert not assesseur.can(action)
        assert admin.can(action)
    with pytest.raises(NotAllowed, match="an assesseur may not reopen polls") as caught:
        assesseur.reopen_polls()
    assert caught.value.action is Action.REOPEN_POLLS
    with pytest.raises(NotAllowed):
        assesseur.export_journal(tmp_path / "journal.jsonl")
    with pytest.raises(NotAllowed):
        assesseur.preview_package(tmp_path)
    with pytest.raises(NotAllowed):
        assesseur.add_operator("someone", Role.ADMINISTRATOR, "123456")
    with pytest.raises(NotAllowed):
        assesseur.unlock_operator("admin")
    with pytest.raises(NotAllowed):
        assesseur.require(Action.QUIT_KIOSK)
    admin.require(Action.QUIT_KIOSK)
    assert not (tmp_path / "journal.jsonl").exists()
