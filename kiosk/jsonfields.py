"""Strict reading of JSON objects at the edge: every field read once, typed, none unknown.

One reader serves every format (election package, results, trustee and record files); each
format names its own exception through ``Fields.error``. Every refusal names the path of the
field at fault (``manifest.scrutins[2].lists[0].logo: missing``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar, Final, NoReturn, Self

from kiosk.crypto import group
from kiosk.crypto.group import Element, GroupError
from kiosk.election.model import ID_PATTERN
from kiosk.encoding import EncodingError, JsonValue, b64decode, strict_json_loads

MAX_TEXT: Final = 500
_LOWER_HEX: Final = re.compile(r"[0-9a-f]*")


class FormatError(ValueError):
    """A file that is not what its format says; the message names the file and the field."""


class Fields:
    """One JSON object, read field by field; ``done`` refuses any field nobody read.

    A format with its own exception subclasses this and sets ``error``; the two ``_..._message``
    hooks let a format keep the wording its users already read.
    """

    error: ClassVar[type[ValueError]] = FormatError

    def __init__(self, value: JsonValue, path: str) -> None:
        if not isinstance(value, dict):
            raise self.error(f"{path}: expected an object")
        self.value: dict[str, JsonValue] = value
        self.path = path
        self._read: set[str] = set()

    @classmethod
    def load(cls, data: bytes, path: str) -> Self:
        """Strict JSON (``strict_json_loads``) holding an object."""
        try:
            return cls(strict_json_loads(data, path), path)
        except EncodingError as exc:
            raise cls.error(str(exc)) from None

    @classmethod
    @contextmanager
    def reading(cls, value: JsonValue, path: str) -> Iterator[Self]:
        """The object ``value``, checked with ``done`` once the block has read it."""
        fields = cls(value, path)
        yield fields
        fields.done()

    def _refuse(self, key: str, reason: str) -> NoReturn:
        raise self.error(f"{self.path}.{key}: {reason}")

    def raw(self, key: str) -> JsonValue:
        if key not in self.value:
            self._refuse(key, "missing")
        self._read.add(key)
        return self.value[key]

    def text(self, key: str, max_len: int = MAX_TEXT) -> str:
        """Text for people: not blank, at most ``max_len`` characters, no control character."""
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            self._refuse(key, "expected a non-empty string")
        if len(value) > max_len:
            self._refuse(key, f"longer than {max_len} characters")
        if any(ord(ch) < 32 for ch in value):
            self._refuse(key, "control characters are not allowed")
        return value

    def string(self, key: str, max_len: int) -> str:
        """Any string of at most ``max_len`` characters: the caller checks its syntax."""
        value = self.raw(key)
        if not isinstance(value, str) or len(value) > max_len:
            self._refuse(key, f"expected text of at most {max_len}")
        return value

    def optional_text(self, key: str, pattern: re.Pattern[str] | None = None) -> str | None:
        """A field that must be present (one signed form per value) but may be ``null``."""
        if self.raw(key) is None:
            return None
        value = self.text(key)
        if pattern is not None and not pattern.fullmatch(value):
            self._refuse(key, f"{value[:40]!r} is not well formed")
        return value

    def ident(self, key: str) -> str:
        value = self.text(key, 64)
        if not ID_PATTERN.fullmatch(value):
            raise self.error(self._not_an_id_message(key, value))
        return value

    def constant(self, key: str, expected: str) -> None:
        if self.raw(key) != expected:
            self._refuse(key, f"expected {expected!r}")

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self._refuse(key, f"expected an integer in {low}..{high}")
        return value

    def b64(self, key: str, length: int | None = None) -> bytes:
        return self._b64(self.raw(key), f"{self.path}.{key}", length)

    def b64_list(self, key: str, max_items: int, length: int | None = None) -> list[bytes]:
        return [self._b64(item, path, length) for path, item in self.array(key, max_items)]

    def element(self, key: str) -> Element:
        return self._element(self.raw(key), f"{self.path}.{key}")

    def elements(self, key: str, max_items: int) -> tuple[Element, ...]:
        return tuple(self._element(item, path) for path, item in self.array(key, max_items))

    def hex(self, key: str, length: int) -> bytes:
        value = self.string(key, 2 * length)
        if not _LOWER_HEX.fullmatch(value) or len(value) != 2 * length:
            self._refuse(key, f"expected {length} bytes in lowercase hex")
        return bytes.fromhex(value)

    def array(self, key: str, max_items: int | None = None) -> list[tuple[str, JsonValue]]:
        """The items of an array, each with its path (``path.key[i]``)."""
        value = self.raw(key)
        if not isinstance(value, list):
            self._refuse(key, "expected an array")
        if max_items is not None and len(value) > max_items:
            self._refuse(key, f"more than {max_items} items")
        return [(f"{self.path}.{key}[{i}]", item) for i, item in enumerate(value)]

    def obj(self, key: str) -> Self:
        return type(self)(self.raw(key), f"{self.path}.{key}")

    def done(self) -> None:
        unknown = sorted(set(self.value) - self._read)
        if unknown:
            raise self.error(self._unknown_field_message(unknown[0]))

    def _unknown_field_message(self, key: str) -> str:
        return f"{self.path}.{key}: unknown field"

    def _not_an_id_message(self, key: str, value: str) -> str:
        return f"{self.path}.{key}: not an id ([a-z0-9][a-z0-9._-]*)"

    def _b64(self, value: JsonValue, path: str, length: int | None) -> bytes:
        if not isinstance(value, str):
            raise self.error(f"{path}: expected base64 text")
        try:
            return b64decode(value, path, length=length)
        except EncodingError as exc:
            raise self.error(str(exc)) from None

    def _element(self, value: JsonValue, path: str) -> Element:
        data = self._b64(value, path, group.ELEMENT_BYTES)
        try:
            return group.element(data)
        except GroupError:
            raise self.error(f"{path}: not a valid group element") from None
