"""Canonical bytes for everything that is hashed or signed (docs/election-package.md, "Canonical JSON").

Canonical JSON: UTF-8, keys sorted, no insignificant white space, integers only (no floats),
and no duplicate keys on the way in, so that one value has exactly one encoding.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

JsonValue = Any  # parsed JSON: dict[str, JsonValue] | list[JsonValue] | str | int | bool | None


class EncodingError(ValueError):
    """Bytes that are not what the format says they must be."""


def canonical_json(value: JsonValue) -> bytes:
    _reject_floats(value, "$")
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def strict_json_loads(data: bytes, what: str) -> JsonValue:
    """Parse JSON, refusing duplicate keys, floats, NaN and invalid UTF-8, naming ``what``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingError(f"{what}: not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_float,
        )
    except json.JSONDecodeError as exc:
        raise EncodingError(f"{what}: invalid JSON at line {exc.lineno} column {exc.colno}") from None
    except EncodingError as exc:
        raise EncodingError(f"{what}: {exc}") from None
    except RecursionError:
        raise EncodingError(f"{what}: JSON nested too deeply") from None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str, *, length: int | None = None) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise EncodingError(f"{what}: not valid base64") from None
    if b64encode(data) != text:
        raise EncodingError(f"{what}: base64 is not in canonical form")
    if length is not None and len(data) != length:
        raise EncodingError(f"{what}: expected {length} bytes, got {len(data)}")
    return data


def _no_duplicates(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
    result: dict[str, JsonValue] = {}
    for key, value in pairs:
        if key in result:
            raise EncodingError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_float(text: str) -> None:
    raise EncodingError(f"non-integer number {text[:20]!r}")


def _reject_floats(value: JsonValue, path: str) -> None:
    if isinstance(value, float):
        raise EncodingError(f"{path}: floats have no canonical encoding")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodingError(f"{path}: object keys must be strings")
            _reject_floats(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _reject_floats(item, f"{path}[{index}]")
