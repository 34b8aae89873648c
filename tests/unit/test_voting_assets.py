"""PackageAssets hands out a list's logo and PDFs only once they match the signed manifest."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.election.model import BLANK_OPTION, ListId, ScrutinId
from kiosk.voting.assets import AssetError, PackageAssets
from kiosk.voting.model import DocumentKind
from tests.unit.test_voting_world import Kiosk, sealed_election

CAPN = ScrutinId("capn")
L1 = ListId("l1")


class CountingStore:
    """A store stand-in over a dict of assets that counts reads (and can be tampered with)."""

    def __init__(self, assets: dict[str, bytes]) -> None:
        self.assets = dict(assets)
        self.reads: list[str] = []

    def package_asset(self, path: str) -> bytes | None:
        self.reads.append(path)
        return self.assets.get(path)


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    world = Kiosk(tmp_path, captcha=False)
    yield world
    world.store.close()


def _counting() -> tuple[CountingStore, PackageAssets]:
    sealed, _ = sealed_election()
    store = CountingStore(dict(sealed.assets))
    return store, PackageAssets(store, sealed.manifest)


def test_every_list_asset_comes_back_from_a_real_store_as_the_package_has_it(
    kiosk: Kiosk,
) -> None:
    sealed, _ = sealed_election()
    assets = PackageAssets(kiosk.store, sealed.manifest)
    for scrutin in sealed.manifest.scrutins:
        for candidate in scrutin.lists:
            assert assets.logo(scrutin.id, candidate.id) == sealed.assets[candidate.logo]
            profession = assets.document(scrutin.id, candidate.id, DocumentKind.PROFESSION_DE_FOI)
            assert profession == sealed.assets[candidate.profession_de_foi]
            ballot = assets.document(scrutin.id, candidate.id, DocumentKind.BALLOT)
            assert ballot == sealed.assets[candidate.ballot]
            for path in candidate.asset_paths:
                digest = hashlib.sha256(sealed.assets[path]).hexdigest()
                assert sealed.manifest.assets[path] == digest


@pytest.mark.parametrize("kind", [None, *DocumentKind], ids=str)
def test_altered_bytes_raise_an_error_naming_the_path(kind: DocumentKind | None) -> None:
    store, assets = _counting()
    candidate = sealed_election()[0].manifest.scrutin(CAPN).lists[1]
    path = {
        None: candidate.logo,
        DocumentKind.PROFESSION_DE_FOI: candidate.profession_de_foi,
        DocumentKind.BALLOT: candidate.ballot,
    }[kind]
    store.assets[path] = store.assets[path] + b" altered"

    def read() -> bytes:
        if kind is None:
            return assets.logo(CAPN, L1)
        return assets.document(CAPN, L1, kind)

    with pytest.raises(AssetError, match=re.escape(path)) as raised:
        read()
    assert raised.value.path == path
    assert "SHA-256" in str(raised.value)


def test_an_asset_missing_from_the_store_raises_an_error_naming_the_path() -> None:
    store, assets = _counting()
    path = sealed_election()[0].manifest.scrutin(CAPN).lists[1].ballot
    del store.assets[path]
    with pytest.raises(AssetError, match="missing from the kiosk store") as raised:
        assets.document(CAPN, L1, DocumentKind.BALLOT)
    assert raised.value.path == path


def test_an_asset_the_manifest_does_not_hash_is_never_returned() -> None:
    sealed, _ = sealed_election()
    path = sealed.manifest.scrutin(CAPN).lists[1].logo
    hashes = {p: h for p, h in sealed.manifest.assets.items() if p != path}
    manifest = dataclasses.replace(sealed.manifest, assets=hashes)
    store = CountingStore(dict(sealed.assets))
    with pytest.raises(AssetError, match="no hash") as raised:
        PackageAssets(store, manifest).logo(CAPN, L1)
    assert raised.value.path == path
    assert store.reads == []  # not even read


def test_a_bad_logo_is_not_cached_and_a_good_one_is_read_once() -> None:
    store, assets = _counting()
    path = sealed_election()[0].manifest.scrutin(CAPN).lists[1].logo
    good = store.assets[path]
    store.assets[path] = b"tampered"
    with pytest.raises(AssetError):
        assets.logo(CAPN, L1)
    store.assets[path] = good
    assert assets.logo(CAPN, L1) == good
    assert assets.logo(CAPN, L1) == good
    assert store.reads == [path, path]  # the failed read, then one good read


def test_documents_are_read_and_checked_at_every_open() -> None:
    # Nothing remembers which document a voter opened; and a store altered after a first
    # open is caught at the next one.
    store, assets = _counting()
    path = sealed_election()[0].manifest.scrutin(CAPN).lists[1].profession_de_foi
    assets.document(CAPN, L1, DocumentKind.PROFESSION_DE_FOI)
    store.assets[path] = b"%PDF-1.4 swapped"
    with pytest.raises(AssetError):
        assets.document(CAPN, L1, DocumentKind.PROFESSION_DE_FOI)
    assert store.reads == [path, path]


@pytest.mark.parametrize(
    ("scrutin_id", "list_id"),
    [(CAPN, BLANK_OPTION), (CAPN, ListId("nope")), (ScrutinId("nope"), L1)],
)
def test_the_blank_vote_and_unknown_ids_have_no_assets(
    scrutin_id: ScrutinId, list_id: ListId
) -> None:
    store, assets = _counting()
    with pytest.raises(KeyError):
        assets.logo(scrutin_id, list_id)
    with pytest.raises(KeyError):
        assets.document(scrutin_id, list_id, DocumentKind.BALLOT)
    assert store.reads == []


def test_the_repr_names_the_election_only() -> None:
    _store, assets = _counting()
    assert repr(assets) == "PackageAssets('test-2026')"
