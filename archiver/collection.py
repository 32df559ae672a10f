"""A collection on disk: ``manifests/<id>.json`` and ``corpus/``; refuses paths that leave it."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import ArchiverError
from archiver.fileio import TEMP_PREFIX, atomic_write_bytes
from archiver.manifest import ID_PATTERN, Manifest, save_manifest

MANIFESTS = "manifests"
CORPUS = "corpus"
SCHEMA_FILE = "schema.json"
JOURNAL_PREFIX = f"{TEMP_PREFIX}journal-"
_ID = re.compile(ID_PATTERN)


class UnsafePathError(ArchiverError):
    """A path named by a manifest resolves outside the collection."""


@dataclass(frozen=True)
class Collection:
    """A collection rooted at ``root`` (the folder holding manifests/ and corpus/)."""

    root: Path

    @classmethod
    def open(cls, root: Path) -> Collection:
        """Open the collection at ``root``; raise ArchiverError if there is none."""
        root = root.resolve()
        for name in (MANIFESTS, CORPUS):
            if not (root / name).is_dir():
                raise ArchiverError(root, f"no collection here (missing {name}/); "
                                          "run 'archiver init' or pass --root")
        return cls(root)

    @classmethod
    def init(cls, root: Path) -> Collection:
        """Create an empty collection at ``root`` (idempotent); return it."""
        for name in (MANIFESTS, CORPUS):
            try:
                (root / name).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ArchiverError(root / name, f"cannot create: {exc.strerror}") from None
        return cls(root.resolve())

    @property
    def manifests_dir(self) -> Path:
        """The folder of manifests."""
        return self.root / MANIFESTS

    @property
    def corpus_dir(self) -> Path:
        """The folder of texts and WARCs."""
        return self.root / CORPUS

    def manifest_path(self, source_id: str) -> Path:
        """Where the manifest of ``source_id`` lives; refuses ids that are not plain names."""
        if not _ID.match(source_id):
            raise ArchiverError(source_id, f"not a valid source id (must match {ID_PATTERN})")
        return self.manifests_dir / f"{source_id}.json"

    def ids(self) -> list[str]:
        """Every source id with a manifest, sorted."""
        return sorted(
            p.name[: -len(".json")]
            for p in self.manifests_dir.glob("*.json")
            if p.name != SCHEMA_FILE and not p.name.startswith(".")
        )

    def resolve(self, relpath: str) -> Path:
        """The absolute path of a collection-relative POSIX path, refusing any way out.

        The manifest model already refuses absolute paths and ``..``; this also refuses a
        symlink anywhere on the way that points outside the collection.
        """
        candidate = self.root.joinpath(*relpath.split("/"))
        real = Path(os.path.realpath(candidate))
        if real != self.root and self.root not in real.parents:
            raise UnsafePathError(relpath, f"resolves outside the collection (to {real})")
        return candidate

    def relative(self, path: Path) -> str:
        """The collection-relative POSIX form of ``path``."""
        return path.resolve().relative_to(self.root).as_posix()

    def corpus_files(self) -> Iterator[str]:
        """Every file under corpus/, as collection-relative POSIX paths, in sorted order."""
        for dirpath, dirnames, filenames in os.walk(self.corpus_dir):
            dirnames.sort()
            base = Path(dirpath)
            for name in sorted(filenames):
                yield (base / name).relative_to(self.root).as_posix()

    @contextmanager
    def staging(self, relpaths: Sequence[str]) -> Iterator[Staging]:
        """Declare new files before writing them; commit by saving the manifest that names them.

        A journal under corpus/ lists the files, so a run killed before the manifest is saved
        leaves only ``temp-file`` warnings, never unreferenced files; on an error before the
        commit, the files are removed again. The journal goes once the run ends.
        """
        journal = self.corpus_dir / f"{JOURNAL_PREFIX}{uuid.uuid4().hex}.json"
        new = [p for p in relpaths if not self.resolve(p).exists()]  # never remove others' files
        atomic_write_bytes(journal, json.dumps(new).encode("utf-8"))
        staged = Staging(self)
        try:
            yield staged
        except BaseException:
            if not staged.committed:
                for relpath in new:
                    self.resolve(relpath).unlink(missing_ok=True)
            raise
        finally:
            journal.unlink(missing_ok=True)

    def staged_paths(self) -> dict[str, str]:
        """Files declared by journals of interrupted runs, mapped to their journal's path."""
        staged: dict[str, str] = {}
        for journal in self.corpus_dir.glob(f"{JOURNAL_PREFIX}*.json"):
            try:
                paths = json.loads(journal.read_bytes())
            except (OSError, ValueError):
                continue  # a torn journal is itself reported as a temp file
            if isinstance(paths, list):
                rel = self.relative(journal)
                staged.update({p: rel for p in paths if isinstance(p, str)})
        return staged


@dataclass
class Staging:
    """Files being written for one manifest; ``commit`` saves the manifest that names them."""

    collection: Collection
    committed: bool = False

    def commit(self, manifest: Manifest) -> None:
        """Save ``manifest`` atomically: from here on the staged files are recorded."""
        save_manifest(self.collection.manifest_path(manifest.id), manifest)
        self.committed = True
