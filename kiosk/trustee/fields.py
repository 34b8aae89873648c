"""Strict reading of the trustees' JSON files: every refusal names the file and the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from kiosk.crypto import group
from kiosk.crypto.group import Element, GroupError
from kiosk.encoding import EncodingError, JsonValue, b64decode, strict_json_loads

IDENT: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
"""Election, scrutin and trustee ids (the package's id syntax)."""


class FormatError(ValueError):
    """A file that is not what its format says; the message names the file and the field."""


def load_object(data: bytes, where: str) -> Fields:
    try:
        return Fields(strict_json_loads(data, where), where)
    except EncodingError as exc:
        raise FormatError(str(exc)) from None


class Fields:
    """One JSON object, read field by field; ``done`` refuses any field nobody read."""

    def __init__(self, value: JsonValue, where: str) -> None:
        if not isinstance(value, dict):
            raise FormatError(f"{where}: expected an object")
        self.value: dict[str, JsonValue] = value
        self.where = where
        self._read: set[str] = set()

    def _get(self, key: str) -> JsonValue:
        if key not in self.value:
            raise FormatError(f"{self.where}.{key}: missing")
        self._read.add(key)
        return self.value[key]

    def raw(self, key: str) -> JsonValue:
        return self._get(key)

    def text(self, key: str, max_length: int = 200) -> str:
        value = self._get(key)
        if not isinstance(value, str) or len(value) > max_length:
            raise FormatError(f"{self.where}.{key}: expected text of at most {max_length}")
        return value

    def ident(self, key: str) -> str:
        value = self.text(key, 64)
        if not IDENT.fullmatch(value):
            raise FormatError(f"{self.where}.{key}: not an id ([a-z0-9][a-z0-9._-]*)")
        return value

    def constant(self, key: str, expected: str) -> None:
        if self._get(key) != expected:
            raise FormatError(f"{self.where}.{key}: expected {expected!r}")

    def integer(self, key: str, low: int, high: int) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FormatError(f"{self.where}.{key}: expected an integer from {low} to {high}")
        return value

    def b64(self, key: str, length: int | None = None) -> bytes:
        value = self._get(key)
        if not isinstance(value, str):
            raise FormatError(f"{self.where}.{key}: expected base64 text")
        try:
            return b64decode(value, f"{self.where}.{key}", length=length)
        except EncodingError as exc:
            raise FormatError(str(exc)) from None

    def element(self, key: str) -> Element:
        return parse_element(self.b64(key, group.ELEMENT_BYTES), f"{self.where}.{key}")

    def hex(self, key: str, length: int) -> bytes:
        value = self.text(key, 2 * length)
        if not re.fullmatch(r"[0-9a-f]*", value) or len(value) != 2 * length:
            raise FormatError(f"{self.where}.{key}: expected {length} bytes in lowercase hex")
        return bytes.fromhex(value)

    def array(self, key: str, max_items: int) -> Iterator[tuple[str, JsonValue]]:
        value = self._get(key)
        if not isinstance(value, list) or len(value) > max_items:
            raise FormatError(f"{self.where}.{key}: expected a list of at most {max_items}")
        for i, item in enumerate(value):
            yield f"{self.where}.{key}[{i}]", item

    def obj(self, key: str) -> Fields:
        return Fields(self._get(key), f"{self.where}.{key}")

    def done(self) -> None:
        extra = sorted(set(self.value) - self._read)
        if extra:
            raise FormatError(f"{self.where}.{extra[0]}: unknown field")


def parse_element(data: bytes, where: str) -> Element:
    try:
        return group.element(data)
    except GroupError:
        raise FormatError(f"{where}: not a valid group element") from None


def element_from_b64(value: JsonValue, where: str) -> Element:
    if not isinstance(value, str):
        raise FormatError(f"{where}: expected base64 text")
    try:
        data = b64decode(value, where, length=group.ELEMENT_BYTES)
    except EncodingError as exc:
        raise FormatError(str(exc)) from None
    return parse_element(data, where)
