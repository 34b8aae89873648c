"""The demo's operator accounts (demo only; the demo prints them): administrator ``admin`` with
PIN ``000000``, assesseur ``assesseur`` with PIN ``111111``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from kiosk.admin.roles import Role


@dataclass(frozen=True)
class DemoOperator:
    name: str
    role: Role
    pin: str

    def __repr__(self) -> str:  # never the PIN
        return f"DemoOperator({self.name!r}, {self.role.value})"


ADMINISTRATOR: Final = DemoOperator("admin", Role.ADMINISTRATOR, "000000")
ASSESSEUR: Final = DemoOperator("assesseur", Role.ASSESSEUR, "111111")
DEMO_OPERATORS: Final = (ADMINISTRATOR, ASSESSEUR)
