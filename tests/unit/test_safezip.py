"""Hostile archives and folders: every one refused, nothing written outside staging (safezip)."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.election import package, safezip
from kiosk.election.model import ElectionPackage
from tests.factories import ZipEntry, make_zip, small_package, snapshot


@pytest.fixture(scope="module")
def pkg() -> ElectionPackage:
    return small_package()


@pytest.fixture(scope="module")
def good_zip(pkg: ElectionPackage, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("good") / "package.zip"
    package.write(pkg, path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """One entry of 50 MiB of zeros, deflated to about 1/1000 of that."""
    return make_zip([("bomb.bin", bytes(50 << 20))], level=9)


def package_entries(pkg: ElectionPackage) -> list[ZipEntry]:
    files = {package.MANIFEST: pkg.manifest_bytes, package.SIGNATURE: pkg.signature, **pkg.assets}
    return sorted(files.items())


def patch_headers(data: bytes, name: str, **fields: int) -> bytes:
    """Overwrite fields of ``name``'s local and central headers (sizes, CRC, flags, method)."""
    local = {"flags": 6, "method": 8, "crc": 14, "compress_size": 18, "file_size": 22}
    central = {"flags": 8, "method": 10, "crc": 16, "compress_size": 20, "file_size": 24}
    width = {"flags": "<H", "method": "<H", "crc": "<I", "compress_size": "<I", "file_size": "<I"}
    out = bytearray(data)
    encoded = name.encode("utf-8")
    for signature, layout, name_at in ((b"PK\x03\x04", local, 30), (b"PK\x01\x02", central, 46)):
        start = 0
        found = False
        while (start := out.find(signature, start)) >= 0:
            if out[start + name_at : start + name_at + len(encoded)] == encoded:
                for field, value in fields.items():
                    struct.pack_into(width[field], out, start + layout[field], value)
                found = True
            start += 4
        assert found, f"no {signature!r} header for {name!r}"
    return bytes(out)


@pytest.fixture
def load_hostile(tmp_path: Path) -> Callable[..., str]:
    """Load ``data`` as a zip package; check it is refused and that nothing leaked anywhere."""
    incoming = tmp_path / "removable-media"
    incoming.mkdir()
    staging = tmp_path / "staging"
    staging.mkdir()

    def load(data: bytes, limits: safezip.Limits | None = None) -> str:
        source = incoming / "package.zip"
        source.write_bytes(data)
        before = snapshot(tmp_path, staging)
        with pytest.raises(package.PackageError) as info:
            package.load(source, staging_parent=staging, limits=limits or safezip.Limits())
        assert snapshot(tmp_path, staging) == before
        assert list(staging.iterdir()) == []
        source.unlink()
        return str(info.value)

    return load


# ---- a good archive, for reference ------------------------------------------------------------


def test_the_reference_zip_loads_and_leaves_nothing_behind(
    pkg: ElectionPackage, good_zip: bytes, tmp_path: Path
) -> None:
    (tmp_path / "p.zip").write_bytes(good_zip)
    (tmp_path / "staging").mkdir()
    loaded = package.load(tmp_path / "p.zip", staging_parent=tmp_path / "staging")
    assert loaded.fingerprint == pkg.fingerprint
    assert list((tmp_path / "staging").iterdir()) == []


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_zip_made_by_another_tool_loads(
    pkg: ElectionPackage, tmp_path: Path, compression: int
) -> None:
    # Python's writestr records permission bits but no file type; folders may have entries too.
    entries: list[ZipEntry] = [("assets/", b""), *package_entries(pkg)]
    (tmp_path / "p.zip").write_bytes(make_zip(entries, compression=compression))
    assert package.load(tmp_path / "p.zip", staging_parent=tmp_path).fingerprint == pkg.fingerprint


# ---- damaged archives -------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999])
def test_truncated_zip_is_refused(
    good_zip: bytes, load_hostile: Callable[..., str], fraction: float
) -> None:
    cut = good_zip[: int(len(good_zip) * fraction)]
    message = load_hostile(cut)
    assert "package.zip: not a readable zip archive" in message


@pytest.mark.parametrize("cut", [1, 10, 21, 22, 23])
def test_zip_cut_near_its_end_is_refused(
    good_zip: bytes, load_hostile: Callable[..., str], cut: int
) -> None:
    assert "package.zip: " in load_hostile(good_zip[:-cut])


@pytest.mark.parametrize("data", [b"", b"PK", b"PK\x03\x04" + bytes(40), os.urandom(4096)])
def test_not_a_zip_is_refused(data: bytes, load_hostile: Callable[..., str]) -> None:
    message = load_hostile(data)
    assert message.startswith("package.zip: not a readable zip archive")


def test_an_empty_zip_is_refused(load_hostile: Callable[..., str]) -> None:
    assert load_hostile(b"PK\x05\x06" + bytes(18)) == "missing manifest.json"


def test_corrupt_compressed_data_is_refused(
    good_zip: bytes, load_hostile: Callable[..., str]
) -> None:
    # Flip bytes inside the data of the first (largest) entries: inflating or the CRC fails.
    info = zipfile.ZipFile(io.BytesIO(good_zip)).infolist()
    for entry in info:
        start = entry.header_offset + 30 + len(entry.filename.encode())
        damaged = bytearray(good_zip)
        damaged[start + entry.compress_size // 2] ^= 0xFF
        message = load_hostile(bytes(damaged))
        assert "package.zip: " in message or "hash mismatch" in message, message


# ---- entry names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../evil",
        "../../evil",
        "../../../../../../tmp/isoloir-evil",
        "/abs/path",
        "a/../../b",
        "assets/../../../evil",
        "..\\evil",
        "assets\\..\\..\\evil",
        "C:/evil",
        "C:\\evil",
        "./manifest.json",
        "a//b",
        "evil\n",
        "//evil",
    ],
)
def test_escaping_or_odd_names_are_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str], tmp_path: Path, name: str
) -> None:
    message = load_hostile(make_zip([*package_entries(pkg), (name, b"pwned")]))
    assert message == f"archive entry {name!r}: unsafe path"
    # Where the entry would have landed, had it been extracted from the staging folder.
    landing = Path(os.path.normpath(tmp_path / "staging" / "isoloir-staging-x" / name))
    assert not landing.exists()


def test_an_absolute_name_into_the_test_folder_writes_nothing(
    pkg: ElectionPackage, load_hostile: Callable[..., str], tmp_path: Path
) -> None:
    target = tmp_path / "escaped.txt"
    message = load_hostile(make_zip([(str(target), b"pwned"), *package_entries(pkg)]))
    assert message.endswith("unsafe path")
    assert not target.exists()


def test_a_name_cut_at_nul_is_just_a_name(
    pkg: ElectionPackage, load_hostile: Callable[..., str]
) -> None:
    # zipfile stops a name at NUL: 'x.txt\0../evil' arrives as 'x.txt', an unlisted file.
    message = load_hostile(make_zip([*package_entries(pkg), ("x.txt\x00/../../evil", b"pwned")]))
    assert message.startswith("unexpected file 'x.txt'")


@pytest.mark.parametrize("name", [b"\x00evil", b"\x00../x", b"\x00\x00\x00\x00\x00"])
def test_a_name_starting_with_nul_arrives_empty_and_is_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str], name: bytes
) -> None:
    data = make_zip([*package_entries(pkg), ("Z" * len(name), b"x")])
    message = load_hostile(data.replace(b"Z" * len(name), name))
    assert message == "archive entry with an empty name (or one starting with NUL)"


def test_invalid_utf8_name_is_refused(load_hostile: Callable[..., str]) -> None:
    data = make_zip([(zipfile.ZipInfo("abc.txt"), b"x")])
    out = bytearray(data.replace(b"abc.txt", b"\xff\xfe\xfd.txt"))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        struct.pack_into("<H", out, at + flags_at, 0x800)  # "the name is UTF-8"
    assert "not valid UTF-8" in load_hostile(bytes(out))


def test_a_name_too_long_for_the_file_system_is_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str]
) -> None:
    name = "é" * 200  # 200 characters pass the path rule, 400 bytes exceed NAME_MAX
    message = load_hostile(make_zip([*package_entries(pkg), (name, b"x")]))
    assert message.startswith(f"archive entry {name!r}: cannot be extracted")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("roll.json", "roll.json"),
        ("roll.json", "ROLL.json"),
        ("assets/cap/l0-logo.png", "Assets/Cap/L0-LOGO.png"),
        ("assets/", "assets"),
    ],
)
def test_duplicate_names_are_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str], first: str, second: str
) -> None:
    entries = [*package_entries(pkg), (first, b"one"), (second, b"two")]
    if first == "assets/":
        entries = [(first, b""), (second, b"two"), *package_entries(pkg)]
    assert load_hostile(make_zip(entries)).endswith("appears twice")


@pytest.mark.parametrize("order", ["file-first", "folder-first"])
def test_a_name_that_is_both_file_and_folder_is_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str], order: str
) -> None:
    pair: list[ZipEntry] = [("extra", b"file"), ("extra/inner", b"file in folder")]
    if order == "folder-first":
        pair.reverse()
    message = load_hostile(make_zip([*package_entries(pkg), *pair]))
    assert message == "archive entry 'extra': is both a file and a folder of other entries"


# ---- entry types and flags --------------------------------------------------------------------


def _typed(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    info.create_system = 3  # Unix
    return info


@pytest.mark.parametrize("name", ["roll.json", "assets/evil"])
def test_symlink_entry_is_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str], name: str
) -> None:
    entries = [e for e in package_entries(pkg) if e[0] != name]
    link = _typed(name, stat.S_IFLNK | 0o777)
    message = load_hostile(make_zip([*entries, (link, b"/etc/passwd")]))
    assert message == f"archive entry {name!r}: symbolic links are refused"


@pytest.mark.parametrize("kind", [stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFSOCK])
def test_special_file_entry_is_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str], kind: int
) -> None:
    message = load_hostile(make_zip([*package_entries(pkg), (_typed("dev", kind | 0o644), b"")]))
    assert message == "archive entry 'dev': not a regular file"


def test_encrypted_flag_is_refused(pkg: ElectionPackage, load_hostile: Callable[..., str]) -> None:
    data = make_zip(package_entries(pkg))
    data = patch_headers(data, "roll.json", flags=0x1)
    assert load_hostile(data) == "archive entry 'roll.json': encrypted entries are refused"


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_other_compression_methods_are_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str], compression: int
) -> None:
    message = load_hostile(make_zip(package_entries(pkg), compression=compression))
    assert f"compression method {compression} is refused" in message


def test_unknown_compression_method_is_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str]
) -> None:
    data = patch_headers(make_zip(package_entries(pkg)), "roll.json", method=99)
    assert "compression method 99 is refused" in load_hostile(data)


# ---- sizes and bombs --------------------------------------------------------------------------


def test_a_true_1000_to_1_bomb_is_refused_before_inflating(
    bomb: bytes, load_hostile: Callable[..., str]
) -> None:
    (info,) = zipfile.ZipFile(io.BytesIO(bomb)).infolist()
    assert info.file_size >= 1000 * info.compress_size
    message = load_hostile(bomb)
    assert message == "archive entry 'bomb.bin': compression ratio above 100:1 (zip bomb?)"


def test_a_bomb_inside_a_good_package_is_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str]
) -> None:
    entries = [*package_entries(pkg), ("assets/zzz.bin", bytes(1 << 20))]
    assert "compression ratio above 100:1" in load_hostile(make_zip(entries, level=9))


def test_ratio_limit_can_be_tightened(
    pkg: ElectionPackage, load_hostile: Callable[..., str]
) -> None:
    entries = [*package_entries(pkg), ("assets/zzz.bin", b"ab" * 500)]
    message = load_hostile(make_zip(entries), safezip.Limits(max_ratio=5))
    assert message == "archive entry 'assets/zzz.bin': compression ratio above 5:1 (zip bomb?)"


def test_a_bomb_with_a_generous_ratio_still_meets_the_size_limit(
    bomb: bytes, load_hostile: Callable[..., str]
) -> None:
    limits = safezip.Limits(max_ratio=10_000, max_file_bytes=1 << 20)
    message = load_hostile(bomb, limits)
    assert message == f"archive entry 'bomb.bin': {50 << 20} bytes, more than {1 << 20}"


def test_a_header_understating_the_size_cannot_inflate_more(tmp_path: Path) -> None:
    """The declared size passes every check; the real data is 1000 times larger."""
    real = bytes(1 << 20)
    data = make_zip([("lie.bin", real)], level=9)
    (info,) = zipfile.ZipFile(io.BytesIO(data)).infolist()
    declared = 2 * info.compress_size  # a declared ratio of 2:1 passes the ratio check
    assert len(real) >= 500 * declared
    lying = patch_headers(data, "lie.bin", file_size=declared)
    (tmp_path / "lie.zip").write_bytes(lying)
    (tmp_path / "staging").mkdir()
    # The CRC of the whole file cannot match what may be read: refused, nothing kept beyond.
    with pytest.raises(safezip.UnsafeArchiveError, match=r"^lie\.zip: "):
        safezip.extract(tmp_path / "lie.zip", tmp_path / "staging")
    extracted = tmp_path / "staging" / "lie.bin"
    assert not extracted.exists() or extracted.stat().st_size <= declared
    # Even with a CRC forged to match the declared prefix, no more than the declared size comes out.
    forged = patch_headers(lying, "lie.bin", crc=zlib.crc32(real[:declared]))
    (tmp_path / "forged.zip").write_bytes(forged)
    (tmp_path / "staging2").mkdir()
    safezip.extract(tmp_path / "forged.zip", tmp_path / "staging2")
    assert (tmp_path / "staging2" / "lie.bin").stat().st_size == declared


def test_a_header_overstating_the_compressed_size_is_refused(
    load_hostile: Callable[..., str], tmp_path: Path
) -> None:
    """Claiming more compressed bytes would make a bomb pass the ratio check."""
    data = make_zip([("lie.bin", bytes(4 << 20))], level=9)
    lying = patch_headers(data, "lie.bin", compress_size=(4 << 20) // 50)  # "ratio 50:1"
    message = load_hostile(lying)
    assert message.startswith("archive entries declare")
    assert "overlapping or lying entries" in message


def test_overlapping_entries_are_refused(load_hostile: Callable[..., str]) -> None:
    """Many directory entries pointing at one compressed blob (an overlap bomb)."""
    blob = make_zip([("a.bin", os.urandom(2000))])  # incompressible: each entry's ratio is 1:1
    (info,) = zipfile.ZipFile(io.BytesIO(blob)).infolist()
    central_at = blob.index(b"PK\x01\x02")
    end_at = blob.index(b"PK\x05\x06")
    central = blob[central_at:end_at]
    copies = [central] + [central.replace(b"a.bin", b"f%04d" % i) for i in range(1, 60)]
    directory = b"".join(copies)
    end = bytearray(blob[end_at:])
    struct.pack_into("<HHII", end, 8, len(copies), len(copies), len(directory), central_at)
    hostile = blob[:central_at] + directory + bytes(end)
    assert len(zipfile.ZipFile(io.BytesIO(hostile)).infolist()) == 60
    assert info.compress_size * 60 > len(hostile)
    assert "overlapping or lying entries" in load_hostile(hostile)


def test_streaming_cap_stops_inflating_past_the_total_budget(
    pkg: ElectionPackage, load_hostile: Callable[..., str]
) -> None:
    noise = [(f"assets/n{i}.bin", os.urandom(4096)) for i in range(3)]
    total = sum(len(d) for _, d in package_entries(pkg))
    limits = safezip.Limits(max_total_bytes=total + 2 * 4096 + 100)
    message = load_hostile(make_zip([*package_entries(pkg), *noise]), limits)
    assert message == "archive entry 'assets/n2.bin': inflates past its limit (zip bomb?)"


def test_oversized_file_is_refused(pkg: ElectionPackage, load_hostile: Callable[..., str]) -> None:
    name, size = max(((n, len(d)) for n, d in package_entries(pkg)), key=lambda e: e[1])
    message = load_hostile(make_zip(package_entries(pkg)), safezip.Limits(max_file_bytes=size - 1))
    assert message == f"archive entry {name!r}: {size} bytes, more than {size - 1}"


def test_too_many_entries_are_refused(
    pkg: ElectionPackage, load_hostile: Callable[..., str]
) -> None:
    count = len(package_entries(pkg))
    message = load_hostile(make_zip(package_entries(pkg)), safezip.Limits(max_entries=count - 1))
    assert message == f"archive holds {count} entries, more than {count - 1}"


def test_many_tiny_entries_are_refused_by_default(load_hostile: Callable[..., str]) -> None:
    entries: list[ZipEntry] = [(f"f{i}", b"") for i in range(10_001)]
    assert load_hostile(make_zip(entries, compression=zipfile.ZIP_STORED)).startswith(
        "archive holds 10001 entries, more than 10000"
    )


def test_extract_wants_an_empty_staging_folder(good_zip: bytes, tmp_path: Path) -> None:
    (tmp_path / "p.zip").write_bytes(good_zip)
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "left-over").write_bytes(b"")
    with pytest.raises(ValueError, match="must be empty"):
        safezip.extract(tmp_path / "p.zip", tmp_path / "staging")


# ---- hostile folders --------------------------------------------------------------------------


@pytest.fixture
def folder(pkg: ElectionPackage, tmp_path: Path) -> Path:
    package.write(pkg, tmp_path / "folder")
    return tmp_path / "folder"


@pytest.mark.parametrize("target", ["inside", "/etc/passwd"])
def test_folder_with_a_symlinked_asset_is_refused(folder: Path, target: str) -> None:
    logo = folder / "assets" / "cap" / "l0-logo.png"
    (folder / "real-logo.png").write_bytes(logo.read_bytes())
    logo.unlink()
    logo.symlink_to(folder / "real-logo.png" if target == "inside" else Path(target))
    with pytest.raises(package.PackageError, match="symbolic links are refused"):
        package.load(folder)


def test_folder_with_an_extra_symlink_is_refused(folder: Path) -> None:
    (folder / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(package.PackageError, match=r"^'passwd': symbolic links are refused$"):
        package.load(folder)


def test_folder_with_a_symlinked_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    (folder / "assets" / "cap").rename(tmp_path / "elsewhere")
    (folder / "assets" / "cap").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(package.PackageError, match=r"^'assets/cap': symbolic links are refused$"):
        package.load(folder)


def test_folder_with_a_fifo_is_refused(folder: Path) -> None:
    os.mkfifo(folder / "pipe")
    with pytest.raises(package.PackageError, match=r"^'pipe': not a regular file$"):
        package.load(folder)


def test_folder_limits(folder: Path, pkg: ElectionPackage) -> None:
    size = len(pkg.assets["roll.json"])
    with pytest.raises(package.PackageError, match=rf"^'roll.json': {size} bytes, more than 100$"):
        package.load(folder, limits=safezip.Limits(max_file_bytes=100, max_total_bytes=10**6))
    with pytest.raises(package.PackageError, match=r"^more than 3 files$"):
        package.load(folder, limits=safezip.Limits(max_entries=3))
    with pytest.raises(package.PackageError, match=r"^package holds \d+ bytes, more than 1000$"):
        package.load(folder, limits=safezip.Limits(max_total_bytes=1000))
