"""A manifest's state: what its history vouches for, as the sha256 of each part.

The parts are every metadata claim (``metadata.title``, ...), each file (``files/<path>``),
each capture (``captures/<id>``), the text record (``text``) and ``capture_pending``: all of
the manifest but its id, history and acceptances. A part's sha256 is that of its JSON as the
manifest stores it (nulls left out) with sorted keys and no whitespace, UTF-8; the state's
sha256 is that of the map of part names to their sha256 in the same form. Each history entry
made since records the state after it and the parts it changed, before and after, so that
``verify`` can walk back from today's state through every entry, and find any change that no
entry accounts for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from archiver.fileio import sha256_bytes

Parts = dict[str, str]


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys, no whitespace, UTF-8: RFC 8785's form for what manifests and
    seals hold (strings, integers, null, booleans; a float's digits are Python's)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def _digest(value: Any) -> str:
    return sha256_bytes(canonical_json(value))


def part_sha256(value: Any) -> str | None:
    """The sha256 of one part in its stored JSON form; None for a part that is absent."""
    return None if value is None else _digest(value)


def parts(stored: Mapping[str, Any]) -> Parts:
    """Each part's sha256, from the manifest in its stored JSON form (``exclude_none``)."""
    out: Parts = {f"metadata.{name}": _digest(claim)
                  for name, claim in stored.get("metadata", {}).items()}
    out |= {f"files/{f['path']}": _digest(f) for f in stored.get("files", [])}
    out |= {f"captures/{c['id']}": _digest(c) for c in stored.get("captures", [])}
    for key in ("text", "capture_pending"):
        if stored.get(key) is not None:
            out[key] = _digest(stored[key])
    return out


def state_sha256(state: Parts) -> str:
    """The sha256 of a whole state (its map of parts)."""
    return _digest(state)
