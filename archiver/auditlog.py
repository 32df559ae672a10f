"""Audit history: one JSON line per verify run, so a custodian can show what was checked when."""

from __future__ import annotations

import json
import os
from pathlib import Path

from archiver.history import ARCHIVER
from archiver.manifest import now
from archiver.verify import VerifyResult


def log_entry(result: VerifyResult, root: Path) -> dict[str, object]:
    """The record of one run: time, tool, and each file's verdict with the hash it was checked
    against."""
    counts = result.counts()
    return {
        "time": now().isoformat(),
        "tool": ARCHIVER.model_dump(),
        "collection": str(root),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "accepted": counts["accepted"],
        "documents": [
            {
                "id": d.id,
                "status": d.status,
                "files": [{"path": f.path, "sha256": f.sha256,
                           "verdict": "ok" if f.ok else "failed"} for f in d.files],
            }
            for d in result.documents
        ],
    }


def append_log(path: Path, result: VerifyResult, root: Path) -> None:
    """Append the record of a verify run to the audit log at ``path``."""
    append_entry(path, log_entry(result, root))


def stamped(entry: dict[str, object], root: Path) -> dict[str, object]:
    """``entry`` (another command's record, e.g. a restore) with time, tool and collection."""
    return {"time": now().isoformat(), "tool": ARCHIVER.model_dump(),
            "collection": str(root), **entry}


def append_entry(path: Path, entry: dict[str, object]) -> None:
    """Append one line to the audit log at ``path`` in a single write, then fsync it."""
    line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
