"""What a browser capture showed, for the report: its viewport screenshot beside its text,
each read from the WARC and checked against the digest the manifest recorded."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from archiver.collection import Collection
from archiver.manifest import BrowserRecord, Capture, Manifest
from archiver.warc.records import WarcError, read_resource


@dataclass(frozen=True)
class Shown:
    """One browser capture's screenshot (a data: URL) and text, or why they are not shown."""

    capture: Capture
    screenshot: str | None = None
    text: str | None = None
    problem: str | None = None
    replay_diff: str | None = None  # where a replay's screenshot differs (report --replay)


def _block(collection: Collection, capture: Capture, record: BrowserRecord) -> bytes:
    block = read_resource(collection.resolve(capture.warc_path), record.record_id,
                          member=capture.warc_member)
    if hashlib.sha256(block).hexdigest() != record.sha256:
        raise WarcError(capture.warc_path, f"record {record.record_id} is not the one the "
                                           "manifest recorded")
    return block


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def browser_shots(collection: Collection, manifest: Manifest,
                  diffs: Mapping[str, bytes] | None = None) -> list[Shown]:
    """Each browser capture of ``manifest`` with what it showed, and (``diffs``, by capture
    id, from a replay) where its replay's screenshot differs."""
    shots = []
    for capture in manifest.captures:
        if capture.browser is None:
            continue
        try:
            png = _block(collection, capture, capture.browser.screenshot)
            text = _block(collection, capture, capture.browser.text).decode("utf-8", "replace")
        except WarcError as exc:
            shots.append(Shown(capture, problem=str(exc)))
            continue
        diff = (diffs or {}).get(capture.id)
        shots.append(Shown(capture, _data_url(png), text,
                           replay_diff=_data_url(diff) if diff is not None else None))
    return shots
