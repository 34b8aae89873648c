"""Canonical bytes for everything hashed or signed (docs/election-package.md, "Canonical JSON").

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
    _reject_floats(value)
    try:
        text = json.dumps(
            value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
        )
    except RecursionError:
        raise EncodingError("$: nested too deeply") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise EncodingError("$: a string holds a lone surrogate (not Unicode text)") from None


def strict_json_loads(data: bytes, what: str) -> JsonValue:
    """Parse JSON, refusing duplicate keys, floats, NaN and invalid UTF-8, naming ``what``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingError(f"{what}: not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_float,
        )
        # JSON may escape a lone surrogate (\ud800): valid JSON, but not text we can keep.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as exc:
        raise EncodingError(
            f"{what}: invalid JSON at line {exc.lineno} column {exc.colno}"
        ) from None
    except EncodingError as exc:
        raise EncodingError(f"{what}: {exc}") from None
    except UnicodeEncodeError:
        raise EncodingError(f"{what}: a string holds a lone surrogate (not Unicode text)") from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise EncodingError(f"{what}: a number has too many digits") from None
    except RecursionError:
        raise EncodingError(f"{what}: JSON nested too deeply") from None
    return value


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


def _reject_floats(value: JsonValue) -> None:
    # Iterative: a value nested as deep as the parser allows must not overflow the stack here.
    stack: list[tuple[JsonValue, str]] = [(value, "$")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float):
            raise EncodingError(f"{path}: floats have no canonical encoding")
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise EncodingError(f"{path}: object keys must be strings")
                stack.append((child, f"{path}.{key}"))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
