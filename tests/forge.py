"""What someone who can write the collection's folder does to a manifest, bypassing the tool:
edit it by hand, and recompute its history's chain as one who knows the format would."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archiver.history import entry_sha256, genesis


def tamper(root: Path, sid: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit the manifest by hand, as someone bypassing the tool would."""
    path = root / "manifests" / f"{sid}.json"
    data = json.loads(path.read_bytes())
    change(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def rechain(data: dict[str, Any]) -> None:
    """Recompute every chain hash and the head (a forger who knows the format)."""
    previous = genesis(data["id"])
    for entry in data["history"]:
        entry["chain_sha256"] = previous
        previous = entry_sha256(entry)
    data["history_head"] = previous
