"""Text versions: a changed text is written as a new file (``corpus/x.v2.txt``, ...) beside
the old one, staged so that a killed run leaves the collection valid, and recorded in history.
Repair and edit both write through here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.fileio import sha256_bytes
from archiver.history import record, require_active
from archiver.manifest import Action, LinkEdit, Manifest

_VERSION = re.compile(r"\.v\d+$")


def next_version(manifest: Manifest, relpath: str) -> str:
    """The path of the next version of a text: ``corpus/x.txt`` -> ``corpus/x.v2.txt``, ...

    Versions are never overwritten, so the text as received stays in the collection.
    """
    path = PurePosixPath(relpath)
    base = _VERSION.sub("", path.stem)
    n = 2
    while manifest.file(candidate := str(path.with_name(f"{base}.v{n}{path.suffix}"))):
        n += 1
    return candidate


def current_text(collection: Collection, manifest: Manifest) -> bytes:
    """The bytes of the source's current text; refuses a source without text, or a text
    that no longer matches its manifest hash (a change must start from the recorded text)."""
    if manifest.text is None:
        raise ArchiverError(manifest.id, "the source has no text")
    relpath = manifest.text.path
    entry = manifest.file(relpath)
    try:
        data = collection.resolve(relpath).read_bytes()
    except OSError as exc:
        raise ArchiverError(relpath, f"cannot read: {exc.strerror}") from None
    if entry is None or (sha256_bytes(data), len(data)) != (entry.sha256, entry.size):
        raise ArchiverError(relpath, "the text does not match its manifest hash; "
                            "verify and restore it before changing it")
    return data


def write_text_version(collection: Collection, manifest: Manifest, data: bytes, *,
                       action: Action, reason: str, by: str | None = None,
                       changes: Sequence[LinkEdit] = ()) -> Manifest:
    """Write ``data`` as the next version of the source's text and record it in history;
    return the updated manifest. The previous version stays; refuses an unchanged text and a
    withdrawn source. Call under ``collection.writing()``."""
    require_active(manifest)
    before = current_text(collection, manifest)
    assert manifest.text is not None  # current_text refuses a source without text
    relpath = manifest.text.path
    if data == before:
        raise ArchiverError(relpath, "the new text is the current text: nothing to record")
    entry = manifest.file(relpath)
    assert entry is not None
    new_path = next_version(manifest, relpath)
    after = sha256_bytes(data)
    updated = manifest.model_copy(deep=True)
    updated.files.append(entry.model_copy(update={"path": new_path, "sha256": after,
                                                  "size": len(data)}))
    updated.text = manifest.text.model_copy(update={"path": new_path})
    record(updated, action, reason, by=by, path=new_path, previous_path=relpath,
           sha256_before=entry.sha256, sha256_after=after, changes=changes)
    with collection.staging() as staged:
        staged.write(new_path, (data,))
        staged.commit(updated)
    return updated
