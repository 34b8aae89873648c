"""Hashing of voters' secrets: normalization, verification, parameters (kiosk.election.kdf)."""

from __future__ import annotations

import pytest

from kiosk.election.kdf import (
    DIGEST_BYTES,
    SALT_BYTES,
    KdfParams,
    KdfProfile,
    SecretHash,
    SecretKind,
    hash_secret,
    normalize,
    verify_secret,
)

FAST = KdfProfile.TEST.value

# ---- normalization ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [SecretKind.VOTE_CODE, SecretKind.NUMEN])
@pytest.mark.parametrize(
    "typed",
    ["ab12-cd34", "AB12 CD34", " ab12cd34 ", "a-b-1-2-c-d-3-4", "AB12\tCD34", "ab12\u00a0cd34"],
)
def test_codes_ignore_case_spaces_and_dashes(kind: SecretKind, typed: str) -> None:
    assert normalize(kind, typed) == b"AB12CD34"


@pytest.mark.parametrize("kind", [SecretKind.VOTE_CODE, SecretKind.NUMEN])
def test_codes_keep_other_characters(kind: SecretKind) -> None:
    assert normalize(kind, "AB12CD34") != normalize(kind, "AB12CD35")
    assert normalize(kind, "AB_12") == b"AB_12"
    assert normalize(kind, "AB.12") != normalize(kind, "AB12")


@pytest.mark.parametrize(
    "typed",
    [
        "Côte d'Ivoire",
        "cote d ivoire",
        "COTE D’IVOIRE",
        "  côte   d'ivoire!  ",
        "Co\u0302te d-Ivoire",  # decomposed accent
        "côte\td'ivoire.",
    ],
)
def test_answers_ignore_case_accents_punctuation_and_repeated_spaces(typed: str) -> None:
    assert normalize(SecretKind.SECRET_ANSWER, typed) == b"cote d ivoire"


def test_answers_still_tell_different_words_apart() -> None:
    assert normalize(SecretKind.SECRET_ANSWER, "cote divoire") != normalize(
        SecretKind.SECRET_ANSWER, "cote d ivoire"
    )
    assert normalize(SecretKind.SECRET_ANSWER, "Perou") != normalize(
        SecretKind.SECRET_ANSWER, "Peru"
    )


@pytest.mark.parametrize("other", ["pw-1 ", "PW-1", "pw1", " pw-1", "pw–1"])
def test_passwords_are_exact(other: str) -> None:
    assert normalize(SecretKind.PASSWORD, "pw-1") == b"pw-1"
    assert normalize(SecretKind.PASSWORD, other) != b"pw-1"


def test_passwords_are_only_nfc_normalized() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert normalize(SecretKind.PASSWORD, composed) == normalize(SecretKind.PASSWORD, decomposed)
    assert normalize(SecretKind.PASSWORD, composed) == composed.encode("utf-8")


# ---- hashing and verification -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "stored", "typed"),
    [
        (SecretKind.PASSWORD, "Tr0ub4dor&3", "Tr0ub4dor&3"),
        (SecretKind.VOTE_CODE, "K7Q2-M9XA", "k7q2 m9xa"),
        (SecretKind.NUMEN, "07E0000000AB", "07e0000000ab"),
        (SecretKind.SECRET_ANSWER, "Pérou", "  PEROU."),
    ],
)
def test_verify_accepts_the_secret_as_typed(kind: SecretKind, stored: str, typed: str) -> None:
    hashed = hash_secret(kind, stored, FAST)
    assert verify_secret(kind, typed, hashed, FAST)


@pytest.mark.parametrize(
    ("kind", "stored", "typed"),
    [
        (SecretKind.PASSWORD, "Tr0ub4dor&3", "tr0ub4dor&3"),
        (SecretKind.PASSWORD, "Tr0ub4dor&3", "Tr0ub4dor&3 "),
        (SecretKind.VOTE_CODE, "K7Q2-M9XA", "K7Q2-M9XB"),
        (SecretKind.NUMEN, "07E0000000AB", "07E0000000A"),
        (SecretKind.SECRET_ANSWER, "Pérou", "Perouu"),
        (SecretKind.SECRET_ANSWER, "Pérou", ""),
    ],
)
def test_verify_refuses_another_secret(kind: SecretKind, stored: str, typed: str) -> None:
    hashed = hash_secret(kind, stored, FAST)
    assert not verify_secret(kind, typed, hashed, FAST)


def test_verify_depends_on_the_normalization_and_the_parameters() -> None:
    hashed = hash_secret(SecretKind.VOTE_CODE, "ab-12", FAST)
    assert verify_secret(SecretKind.VOTE_CODE, "AB12", hashed, FAST)
    # Checked as a password, the same typing is taken literally and no longer matches.
    assert not verify_secret(SecretKind.PASSWORD, "ab-12", hashed, FAST)
    assert not verify_secret(SecretKind.VOTE_CODE, "AB12", hashed, KdfParams(log2_n=5))


def test_salt_is_fresh_for_every_hash() -> None:
    hashes = [hash_secret(SecretKind.PASSWORD, "same", FAST) for _ in range(8)]
    assert len({h.salt for h in hashes}) == 8
    assert len({h.digest for h in hashes}) == 8
    assert all(len(h.salt) == SALT_BYTES and len(h.digest) == DIGEST_BYTES for h in hashes)


def test_a_given_salt_gives_a_reproducible_digest() -> None:
    salt = bytes(range(16))
    first = hash_secret(SecretKind.NUMEN, "07E0000000AB", FAST, salt=salt)
    again = hash_secret(SecretKind.NUMEN, "07e0000000ab", FAST, salt=salt)
    assert first == again
    assert (
        first.digest != hash_secret(SecretKind.NUMEN, "07E0000000AB", FAST, salt=bytes(16)).digest
    )


def test_secret_hash_repr_shows_no_bytes() -> None:
    hashed = SecretHash(salt=b"\xab" * 16, digest=b"\xcd" * 32)
    for text in (repr(hashed), str(hashed), f"{hashed!r}", repr([hashed])):
        assert "<redacted>" in text
        for needle in ("ab", "cd", "\\x", "q6ur", "zc3N"):  # hex, escapes, base64
            assert needle not in text.lower().replace("redacted", "")


@pytest.mark.parametrize(("salt", "digest"), [(bytes(15), bytes(32)), (bytes(16), bytes(31))])
def test_secret_hash_checks_lengths(salt: bytes, digest: bytes) -> None:
    with pytest.raises(ValueError, match="16-byte salt and a 32-byte digest"):
        SecretHash(salt=salt, digest=digest)


# ---- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("log2_n", "r", "p", "message"),
    [
        (0, 8, 1, "log2_n must be within 1..20"),
        (21, 8, 1, "log2_n must be within 1..20"),
        (-1, 8, 1, "log2_n must be within 1..20"),
        (10, 0, 1, "r must be within 1..32"),
        (10, 33, 1, "r must be within 1..32"),
        (10, 8, 0, "p within 1..16"),
        (10, 8, 17, "p within 1..16"),
        (16, 1, 1, "log2_n must be below 16 \\* r"),
        (20, 16, 1, "bytes of memory"),
        (17, 8, 16, "bytes of memory"),
    ],
)
def test_params_out_of_range_are_refused(log2_n: int, r: int, p: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KdfParams(log2_n=log2_n, r=r, p=p)


@pytest.mark.parametrize(("log2_n", "r", "p"), [(1, 1, 1), (15, 1, 1), (20, 8, 1), (17, 8, 8)])
def test_params_at_the_edges_are_accepted(log2_n: int, r: int, p: int) -> None:
    assert KdfParams(log2_n=log2_n, r=r, p=p).memory_bytes <= 1 << 30


def test_every_accepted_cheap_setting_can_actually_hash() -> None:
    # Validation and scrypt must agree: a setting accepted here must not fail at login time.
    for r in (1, 2):
        for log2_n in range(1, min(21, 16 * r)):
            if 128 * r * 2**log2_n <= 1 << 20:
                hash_secret(SecretKind.PASSWORD, "x", KdfParams(log2_n=log2_n, r=r))
    hash_secret(SecretKind.PASSWORD, "x", KdfParams(log2_n=15, r=1))


def test_profiles_are_ordered_by_cost() -> None:
    costs = [
        profile.value.memory_bytes
        for profile in (KdfProfile.TEST, KdfProfile.DEMO, KdfProfile.STRONG)
    ]
    assert costs == sorted(costs)
    assert KdfProfile.STRONG.value.memory_bytes == 128 * 8 * 2**17
