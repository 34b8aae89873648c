"""Canonical JSON, strict parsing and base64 (kiosk.encoding)."""

from __future__ import annotations

import base64
import json

import pytest

from kiosk.encoding import EncodingError, b64decode, b64encode, canonical_json, strict_json_loads

# ---- canonical JSON ---------------------------------------------------------------------------


def test_canonical_json_sorts_keys_keeps_unicode_and_has_no_spaces() -> None:
    value = {"b": [1, {"z": None, "a": True}], "a": "Élection — vote blanc", "é": -3}
    assert canonical_json(value) == (
        '{"a":"Élection — vote blanc","b":[1,{"a":true,"z":null}],"é":-3}'.encode()
    )


def test_canonical_json_is_independent_of_insertion_order() -> None:
    forward = {str(i): i for i in range(50)}
    backward = {str(i): i for i in reversed(range(50))}
    assert canonical_json(forward) == canonical_json(backward)


def test_canonical_json_round_trips_through_strict_parsing() -> None:
    value = {"list": [0, -1, 2**62, "", "\u00e9\u4e2d\U0001f5f3"], "nested": {"k": [[], {}]}}
    encoded = canonical_json(value)
    assert strict_json_loads(encoded, "x") == value
    assert canonical_json(strict_json_loads(encoded, "x")) == encoded


def test_canonical_json_keeps_non_ascii_as_utf8_not_escapes() -> None:
    assert canonical_json("é") == '"é"'.encode()
    assert b"\\u" not in canonical_json("é中")


@pytest.mark.parametrize(
    "value",
    [1.0, float("nan"), float("inf"), {"a": [1, 2.5]}, [{"x": {"y": 0.0}}], (1, 2.0)],
)
def test_canonical_json_refuses_floats(value: object) -> None:
    with pytest.raises(EncodingError, match="floats have no canonical encoding"):
        canonical_json(value)


def test_canonical_json_names_the_path_of_a_float() -> None:
    with pytest.raises(EncodingError, match=r"\$\.a\[1\]"):
        canonical_json({"a": [1, 2.5]})


def test_canonical_json_refuses_non_string_keys() -> None:
    with pytest.raises(EncodingError, match="keys must be strings"):
        canonical_json({1: "one"})


def test_canonical_json_refuses_a_lone_surrogate() -> None:
    with pytest.raises(EncodingError, match="surrogate"):
        canonical_json({"name": "\ud800"})


def test_canonical_json_of_a_very_deep_value_is_an_encoding_error() -> None:
    value: object = 0
    for _ in range(100_000):
        value = [value]
    with pytest.raises(EncodingError, match="nested too deeply"):
        canonical_json(value)


# ---- strict parsing ---------------------------------------------------------------------------


def test_strict_json_loads_accepts_plain_json() -> None:
    assert strict_json_loads(b'{"a": [1, "b", null, true, false]}', "x") == {
        "a": [1, "b", None, True, False]
    }


@pytest.mark.parametrize(
    "data", [b'{"a":1.5}', b"[1e3]", b"[1E-2]", b"[-0.0]", b"[NaN]", b"[Infinity]", b"[-Infinity]"]
)
def test_strict_json_loads_refuses_floats_and_constants(data: bytes) -> None:
    with pytest.raises(EncodingError, match=r"^doc: non-integer number"):
        strict_json_loads(data, "doc")


def test_strict_json_loads_refuses_duplicate_keys_at_any_depth() -> None:
    with pytest.raises(EncodingError, match=r"^doc: duplicate key 'a'"):
        strict_json_loads(b'{"a":1,"a":1}', "doc")
    with pytest.raises(EncodingError, match="duplicate key 'k'"):
        strict_json_loads(b'{"x":[{"k":1,"j":2,"k":3}]}', "doc")


def test_strict_json_loads_refuses_duplicate_keys_spelt_differently() -> None:
    # "\u0061" is "a": the same key twice, whatever the escaping.
    with pytest.raises(EncodingError, match="duplicate key 'a'"):
        strict_json_loads(b'{"a":1,"\\u0061":2}', "doc")


@pytest.mark.parametrize("data", [b"\xff", b'"\xc3"', b'{"a":"\xed\xa0\x80"}', b"\xc0\xaf"])
def test_strict_json_loads_refuses_invalid_utf8(data: bytes) -> None:
    with pytest.raises(EncodingError, match=r"^doc: not valid UTF-8"):
        strict_json_loads(data, "doc")


def test_strict_json_loads_refuses_an_escaped_lone_surrogate() -> None:
    with pytest.raises(EncodingError, match="surrogate"):
        strict_json_loads(b'{"a":"\\ud800"}', "doc")
    # A surrogate pair is a real character and stays accepted.
    assert strict_json_loads(b'"\\ud83d\\uddf3"', "doc") == "\U0001f5f3"


@pytest.mark.parametrize("data", [b"", b"{", b'{"a":}', b"[1,]", b"{'a':1}", b"1 2", b"\x00"])
def test_strict_json_loads_names_the_document_on_syntax_errors(data: bytes) -> None:
    with pytest.raises(EncodingError, match=r"^doc: invalid JSON at line \d+ column \d+"):
        strict_json_loads(data, "doc")


@pytest.mark.parametrize("depth", [2_000, 100_000])
@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deep_nesting_is_an_encoding_error_not_a_recursion_error(opener: bytes, depth: int) -> None:
    with pytest.raises(EncodingError, match="nested too deeply"):
        strict_json_loads(opener * depth, "doc")


def test_whatever_strict_parsing_accepts_can_be_encoded_canonically() -> None:
    # Find the deepest nesting the parser accepts: canonical_json must cope with it too.
    depth = 2_000
    while depth:
        try:
            value = strict_json_loads(b"[" * depth + b"]" * depth, "doc")
            break
        except EncodingError:
            depth -= 25
    assert depth > 0
    assert canonical_json(value) == b"[" * depth + b"]" * depth


def test_strict_json_loads_refuses_huge_integers_with_an_encoding_error() -> None:
    with pytest.raises(EncodingError, match="too many digits"):
        strict_json_loads(b"1" * 5_000, "doc")
    assert strict_json_loads(b"1" * 300, "doc") == int("1" * 300)


# ---- base64 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\x00", b"ab", b"abc", bytes(range(256))])
def test_b64_round_trip(data: bytes) -> None:
    text = b64encode(data)
    assert text == base64.b64encode(data).decode()
    assert b64decode(text, "f") == data


@pytest.mark.parametrize(
    "text",
    [
        "QQ",  # missing padding
        "QR==",  # non-zero padding bits: decodes to b"A" but is not how b"A" is written
        "QQ==\n",  # trailing white space
        " QQ==",
        "Q Q==",
        "QQ=",
        "Zm9v-_",  # url-safe alphabet
        "Zm9v\u00e9",  # not ASCII
        "====",
    ],
)
def test_b64decode_refuses_non_canonical_or_invalid_text(text: str) -> None:
    with pytest.raises(EncodingError, match=r"^field: "):
        b64decode(text, "field")


def test_b64decode_says_non_canonical_for_padding_bits() -> None:
    assert base64.b64decode("QR==") == b"A"
    with pytest.raises(EncodingError, match="not in canonical form"):
        b64decode("QR==", "field")


def test_b64decode_checks_the_length() -> None:
    text = b64encode(bytes(32))
    assert b64decode(text, "key", length=32) == bytes(32)
    with pytest.raises(EncodingError, match="key: expected 31 bytes, got 32"):
        b64decode(text, "key", length=31)


def test_canonical_json_matches_the_documented_rules() -> None:
    # The same rules, spelt with the standard library: a guard against a drifting helper.
    value = {"z": [1, "é"], "a": {"c": None, "b": False}}
    expected = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert canonical_json(value) == expected.encode("utf-8")
