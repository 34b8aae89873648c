"""The candidate lists' logos and PDFs, read from the kiosk store for the gallery (read-only).

    assets = PackageAssets(store, manifest)
    assets.logo(scrutin_id, list_id)              # PNG bytes
    assets.document(scrutin_id, list_id, kind)    # PDF bytes: profession de foi or ballot

The package was verified when it was loaded, but the store is a file on the kiosk's disk: every
byte string is checked again against the SHA-256 the signed manifest gives for its path before it
is handed out. A missing or altered asset raises ``AssetError`` naming the path; unchecked bytes
never leave this module. The blank vote has no assets; an id the manifest does not name is a
broken invariant (``KeyError``).

Logos are cached once checked: the gallery reads every logo of a scrutin at once, so the cache
says nothing of what a voter looked at. Documents are not cached (one store read and one hash of
some tens of kilobytes, about a millisecond): nothing here remembers which profession de foi or
ballot a voter opened (docs/voter-flow.md, "Reset and privacy").
"""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol

from kiosk.election.model import BLANK_OPTION, CandidateList, ListId, Manifest, ScrutinId
from kiosk.voting.model import DocumentKind


class AssetError(Exception):
    """A package asset that must not be shown: missing from the store or the manifest, or not
    the bytes the manifest hashed. ``path`` is its package-relative path."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"package asset {path!r}: {reason}")
        self.path = path


class AssetStore(Protocol):
    """What ``PackageAssets`` needs of ``kiosk.store.KioskStore``."""

    def package_asset(self, path: str) -> bytes | None: ...


class PackageAssets:
    """The election's list assets, each checked against the manifest before it is returned.

    Safe to call from any thread (the logo cache has its own lock; the store serializes reads).
    """

    def __init__(self, store: AssetStore, manifest: Manifest) -> None:
        self._store = store
        self._manifest = manifest
        self._logos: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PackageAssets({self._manifest.election_id!r})"

    def logo(self, scrutin_id: ScrutinId, list_id: ListId) -> bytes:
        """The list's logo (PNG bytes), checked; cached once checked."""
        path = self._list(scrutin_id, list_id).logo
        with self._lock:
            cached = self._logos.get(path)
        if cached is not None:
            return cached
        data = self._checked(path)
        with self._lock:
            self._logos[path] = data
        return data

    def document(self, scrutin_id: ScrutinId, list_id: ListId, kind: DocumentKind) -> bytes:
        """The list's profession de foi or ballot (PDF bytes), checked; read afresh each time."""
        candidate = self._list(scrutin_id, list_id)
        match kind:
            case DocumentKind.PROFESSION_DE_FOI:
                path = candidate.profession_de_foi
            case DocumentKind.BALLOT:
                path = candidate.ballot
        return self._checked(path)

    def _list(self, scrutin_id: ScrutinId, list_id: ListId) -> CandidateList:
        scrutin = self._manifest.scrutin(scrutin_id)  # KeyError: not a scrutin of the election
        for candidate in scrutin.lists:
            if candidate.id == list_id:
                return candidate
        if list_id == BLANK_OPTION:
            raise KeyError(f"the blank vote of {scrutin_id!r} has no logo and no documents")
        raise KeyError(f"no list {list_id!r} in scrutin {scrutin_id!r}")

    def _checked(self, path: str) -> bytes:
        expected = self._manifest.assets.get(path)
        if expected is None:
            raise AssetError(path, "the manifest gives no hash for it")
        data = self._store.package_asset(path)
        if data is None:
            raise AssetError(path, "missing from the kiosk store")
        if hashlib.sha256(data).hexdigest() != expected.lower():
            raise AssetError(path, "its SHA-256 differs from the manifest's: not shown")
        return data
