"""The role guides stay true: every ``isoloir ...`` command they show exists, with its options.

A guide that names a command or an option the command line does not have would send an
assesseur or an organizer into an error on election day."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from kiosk.cli import parser

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = ("voter", "assesseur", "administrator", "organizer", "trustee", "auditor", "deployment")
_COMMAND = re.compile(r"(?:`|^\s*(?:\$ )?)(isoloir [^`\n|]+)")


def _commands(text: str) -> list[str]:
    joined = text.replace("\\\n", " ")  # shell line continuations
    return [match.group(1).strip() for match in _COMMAND.finditer(joined)]


def _subparsers(command: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _resolve(words: list[str]) -> tuple[argparse.ArgumentParser, list[str], list[str]]:
    """The deepest subcommand the words name, the path to it, and the words after it."""
    command, path = parser(), []
    rest = list(words)
    while rest and (children := _subparsers(command)) and rest[0] in children:
        path.append(rest[0])
        command = children[rest.pop(0)]
    return command, path, rest


def _options(command: argparse.ArgumentParser) -> set[str]:
    return {option for action in command._actions for option in action.option_strings}


def _problem(line: str) -> str | None:
    """Why ``line`` (an ``isoloir ...`` command as a guide shows it) would not run, or None."""
    cleaned = line.replace("[", " ").replace("]", " ").replace("…", "").replace("...", "")
    words = shlex.split(cleaned)[1:]
    command, path, rest = _resolve(words)
    if not path and not all(word.startswith("--") for word in rest):
        return "no such command"
    known = _options(command)
    for word in rest:
        option = word.split("=", 1)[0]
        if option.startswith("--") and option not in known:
            return f"no {option} in isoloir {' '.join(path)}"
    if _subparsers(command) and rest and not (rest[0].startswith("-") or rest[0].isupper()):
        return f"{rest[0]!r} is not an action of isoloir {' '.join(path)}"
    return None


@pytest.mark.parametrize("guide", GUIDES)
def test_every_command_a_guide_shows_exists_with_its_options(guide: str) -> None:
    text = (DOCS / f"{guide}.md").read_text(encoding="utf-8")
    commands = _commands(text)
    assert commands, f"docs/{guide}.md shows no isoloir command"
    problems = [f"{line!r}: {problem}" for line in commands if (problem := _problem(line))]
    assert not problems, f"docs/{guide}.md: {problems}"


def test_a_wrong_command_or_option_is_caught() -> None:
    assert _problem("isoloir admin polls open --operator NAME") is None
    assert _problem("isoloir --version") is None
    assert (
        _problem("isoloir admin polls open --operater NAME")
        == "no --operater in isoloir admin polls"
    )
    assert _problem("isoloir admin pols open") == "'pols' is not an action of isoloir admin"
    assert _problem("isoloir vote now") == "no such command"


def test_the_guides_are_found() -> None:
    assert _commands("run `isoloir admin polls open --operator NAME` then") == [
        "isoloir admin polls open --operator NAME"
    ]
