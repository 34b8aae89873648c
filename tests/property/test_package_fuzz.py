"""Fuzzing the package loader: whatever the bytes, ``load`` returns a package or raises
``PackageError`` — never another exception, and never a write outside its staging folder.

Examples per test are kept small for the default run; ``ISOLOIR_SOAK=1`` multiplies them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.election import package, signing
from kiosk.election.model import ElectionPackage
from kiosk.encoding import EncodingError, canonical_json
from tests.factories import make_zip, small_package, snapshot

Json = Any
Files = dict[str, bytes]

SOAK = os.environ.get("ISOLOIR_SOAK") == "1"


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples * 25 if SOAK else examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@cache
def organizer_key() -> Ed25519PrivateKey:
    return signing.generate()


@cache
def reference() -> ElectionPackage:
    return small_package(organizer_key())


@cache
def reference_zip() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        package.write(reference(), Path(tmp, "p.zip"))
        return Path(tmp, "p.zip").read_bytes()


def reference_files() -> Files:
    pkg = reference()
    return {package.MANIFEST: pkg.manifest_bytes, package.SIGNATURE: pkg.signature, **pkg.assets}


def signed(files: Files, manifest_bytes: bytes) -> Files:
    return {
        **files,
        package.MANIFEST: manifest_bytes,
        package.SIGNATURE: organizer_key().sign(manifest_bytes),
    }


def encode(value: Json) -> bytes:
    """Canonical bytes when there are any; otherwise the closest JSON (floats, surrogates)."""
    try:
        return canonical_json(value)
    except EncodingError:
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")


def with_roll(files: Files, roll_bytes: bytes) -> Files:
    manifest = json.loads(files[package.MANIFEST])
    manifest["assets"]["roll.json"] = hashlib.sha256(roll_bytes).hexdigest()
    return signed({**files, "roll.json": roll_bytes}, canonical_json(manifest))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference package as a folder; each example changes a few files, then restores them."""
    root = tmp_path_factory.mktemp("fuzz") / "pkg"
    package.write(reference(), root)
    return root


def load_folder(base: Path, files: Files) -> ElectionPackage | None:
    """Load ``files`` as a folder package: the package, or None when refused."""
    original = reference_files()
    assert set(files) == set(original)
    changed = {rel: data for rel, data in files.items() if data != original[rel]}
    try:
        for rel, data in changed.items():
            base.joinpath(*rel.split("/")).write_bytes(data)
        try:
            return package.load(base)
        except package.PackageError as exc:
            reason = str(exc)
        assert reason, "a refusal must say why"
        return None
    finally:
        for rel in changed:
            base.joinpath(*rel.split("/")).write_bytes(original[rel])


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the zip under test and, deep inside, the staging parent."""
    root = tmp_path_factory.mktemp("media")
    # Deep enough that any '../' chain of a fuzzed name would land inside ``root``.
    root.joinpath("s1", "s2", "s3", "s4", "s5", "s6", "staging").mkdir(parents=True)
    return root


def load_zip(media: Path, data: bytes) -> ElectionPackage | None:
    """Load ``data`` as a zip package; assert nothing is written outside the staging folder."""
    source = media / "package.zip"
    source.write_bytes(data)
    staging = media.joinpath("s1", "s2", "s3", "s4", "s5", "s6", "staging")
    before = snapshot(media, staging)
    try:
        loaded = package.load(source, staging_parent=staging)
    except package.PackageError as exc:
        reason = str(exc)
        loaded = None
    assert snapshot(media, staging) == before
    assert list(staging.iterdir()) == []
    assert loaded is not None or reason, "a refusal must say why"
    return loaded


# ---- strategies -------------------------------------------------------------------------------

texts = st.text(max_size=12) | st.sampled_from(
    ["", " ", "\ud800", "é", "../x", "capn", "l0", "a" * 600]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, 4, 8, 21, 10**20])
    | texts
    | st.floats(allow_nan=True, allow_infinity=True)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)


def containers(value: Json, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Paths of every object and array inside ``value`` (itself included)."""
    if isinstance(value, dict):
        yield path
        for key, child in value.items():
            yield from containers(child, (*path, key))
    elif isinstance(value, list):
        yield path
        for index, child in enumerate(value):
            yield from containers(child, (*path, index))


@st.composite
def mutated(draw: st.DrawFn, document: Json) -> Json:
    """``document`` with one to three structural edits: delete, replace or insert a member."""
    value = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(containers(value))))
        node = value
        for step in path:
            node = node[step]
        operation = draw(st.sampled_from(["delete", "replace", "insert"]))
        if isinstance(node, dict):
            keys = sorted(node)
            if operation == "insert" or not keys:
                node[draw(texts | st.sampled_from(keys or ["x"]))] = draw(json_values)
            elif operation == "delete":
                del node[draw(st.sampled_from(keys))]
            else:
                node[draw(st.sampled_from(keys))] = draw(json_values)
        else:
            if operation == "insert" or not node:
                node.insert(draw(st.integers(0, len(node))), draw(json_values))
            elif operation == "delete":
                del node[draw(st.integers(0, len(node) - 1))]
            else:
                node[draw(st.integers(0, len(node) - 1))] = draw(json_values)
    return value


def manifest_json() -> Json:
    return json.loads(reference().manifest_bytes)


def roll_json() -> Json:
    return json.loads(reference().assets["roll.json"])


# ---- (a) arbitrary bytes ----------------------------------------------------------------------


@fuzz_settings(200)
@given(data=st.binary(max_size=4096) | json_values.map(lambda v: json.dumps(v).encode()))
def test_arbitrary_manifest_bytes_are_refused(base: Path, data: bytes) -> None:
    assert load_folder(base, {**reference_files(), package.MANIFEST: data}) is None


@fuzz_settings(200)
@given(data=st.binary(max_size=4096) | json_values.map(encode))
def test_arbitrary_signed_manifest_bytes_give_a_package_error(base: Path, data: bytes) -> None:
    assert load_folder(base, signed(reference_files(), data)) is None


@fuzz_settings(200)
@given(data=st.binary(max_size=4096) | json_values.map(encode))
def test_arbitrary_roll_bytes_give_a_package_error(base: Path, data: bytes) -> None:
    assert load_folder(base, with_roll(reference_files(), data)) is None


@fuzz_settings(200)
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_as_a_zip_give_a_package_error(media: Path, data: bytes) -> None:
    assert load_zip(media, data) is None


@fuzz_settings(200)
@given(
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4
    ),
    cut=st.none() | st.floats(0, 1),
)
def test_damaged_zip_gives_a_package_error(
    media: Path, edits: list[tuple[float, int]], cut: float | None
) -> None:
    data = bytearray(reference_zip())
    for where, mask in edits:
        data[int(where * len(data))] ^= mask
    if cut is not None:
        data = data[: int(cut * len(data))]
    loaded = load_zip(media, bytes(data))
    # A change in the zip's own bookkeeping (a date, a comment length) may be harmless.
    assert loaded is None or loaded.fingerprint == reference().fingerprint


@fuzz_settings(200)
@given(
    file=st.sampled_from(sorted(reference_files())),
    where=st.floats(0, 1, exclude_max=True),
    mask=st.integers(1, 255),
)
def test_any_flipped_byte_is_refused(base: Path, file: str, where: float, mask: int) -> None:
    files = reference_files()
    data = bytearray(files[file])
    position = int(where * len(data))
    data[position] ^= mask
    target = base.joinpath(*file.split("/"))
    target.write_bytes(bytes(data))
    try:
        package.load(base)
    except package.PackageError as exc:
        message = str(exc)
    else:
        raise AssertionError(f"flipping byte {position} of {file} went unnoticed")
    finally:
        target.write_bytes(files[file])
    if file == package.SIGNATURE:
        assert "bad signature" in message
    elif file != package.MANIFEST:
        assert f"hash mismatch for {file!r}" in message


# ---- (b) structured mutations, validly signed -------------------------------------------------


@fuzz_settings(200)
@given(data=st.data())
def test_mutated_signed_manifest_gives_a_package_error_or_a_package(
    base: Path, data: st.DataObject
) -> None:
    manifest = data.draw(mutated(manifest_json()))
    loaded = load_folder(base, signed(reference_files(), encode(manifest)))
    if loaded is not None:  # an edit that keeps the manifest valid: it must be what was signed
        assert json.loads(loaded.manifest_bytes) == manifest


@fuzz_settings(200)
@given(data=st.data())
def test_mutated_roll_gives_a_package_error_or_a_package(base: Path, data: st.DataObject) -> None:
    roll = data.draw(mutated(roll_json()))
    loaded = load_folder(base, with_roll(reference_files(), encode(roll)))
    if loaded is not None:
        assert len(loaded.roll) == loaded.manifest.voter_count


# ---- (c) hostile entry names ------------------------------------------------------------------

name_parts = st.sampled_from(
    ["..", ".", "", "a", "assets", "roll.json", "manifest.json", "é", "\x00", "\\", "..\\..",
     "C:", " ", "İ", "ﬁ", "\u202e", "ROLL.JSON", "x" * 100, "é" * 130]
) | st.text(max_size=6)  # fmt: skip
entry_names = (
    st.lists(name_parts, min_size=1, max_size=5).map("/".join)
    | st.lists(name_parts, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
    | st.text(max_size=20)
)


Entry = tuple[str, int, int, bytes]  # name, compression, file type, content


@st.composite
def zip_entries(draw: st.DrawFn) -> list[Entry]:
    # Plain tuples, not ZipInfo: a ZipInfo whose name starts with NUL cannot even be printed.
    return [
        (
            draw(entry_names),
            draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])),
            draw(st.sampled_from([0, stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK, stat.S_IFIFO])),
            draw(st.binary(max_size=64)),
        )
        for _ in range(draw(st.integers(1, 6)))
    ]


def zip_info(name: str, compression: int, file_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = compression
    info.external_attr = (file_type | 0o644) << 16
    return info


@fuzz_settings(200)
@given(hostile=zip_entries(), with_package=st.booleans(), first=st.booleans())
def test_hostile_entry_names_never_write_outside_staging(
    media: Path, hostile: list[Entry], with_package: bool, first: bool
) -> None:
    good: list[Entry] = [(n, zipfile.ZIP_DEFLATED, 0, d) for n, d in reference_files().items()]
    entries = ([*hostile, *good] if first else [*good, *hostile]) if with_package else hostile
    # zipfile cuts names at NUL and cannot write an empty one (test_safezip covers a name that
    # *arrives* empty). Duplicate names are part of the fuzz.
    archive = make_zip(
        [
            (zip_info(name, compression, file_type), data)
            for name, compression, file_type, data in entries
            if name.partition("\x00")[0]
        ]
    )
    loaded = load_zip(media, archive)
    assert loaded is None or loaded.fingerprint == reference().fingerprint
