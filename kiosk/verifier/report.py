"""A verification report: each check, in order, with its verdict and what it found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Check:
    """One check of the record: ``name`` is stable (scripts and tests use it), ``title`` says
    what it proves in people's words, ``detail`` what was found (the first faults, by seq or
    trustee, when it failed)."""

    name: str
    title: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name:<20} {self.title}: {self.detail}"


@dataclass(frozen=True)
class Report:
    record: Path
    checks: tuple[Check, ...]
    subject: str = "the record"

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(check.name for check in self.checks if not check.passed)

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def lines(self) -> list[str]:
        verdict = (
            f"{self.subject} verifies: all {len(self.checks)} checks pass"
            if self.passed
            else f"{self.subject} does NOT verify: {len(self.failed)} of {len(self.checks)} "
            f"checks fail ({', '.join(self.failed)})"
        )
        return [*(check.line() for check in self.checks), verdict]
