"""The HTML report's custody of each source, from verify's seal check, for every status a
seal can leave a source in: sealed without a timestamp, changed, added after it, invalid."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tsaserver import Tsa

from archiver.cli import main
from archiver.collection import Collection
from archiver.custody.seal import seal_dirs
from archiver.report.custody import CustodyView
from archiver.report.html import render_html
from archiver.report.view import build_report
from archiver.verify import verify


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Two received texts and the key ``alice`` (its private key in the test's folder)."""
    root = tmp_path / "col"
    assert main(["init", "--root", str(root)]) == 0
    for name in ("one", "two"):
        src = tmp_path / f"{name}.txt"
        src.write_text(f"The {name} text.\n\nIt says nothing twice.\n", "utf-8")
        assert main(["add", str(src), "--root", str(root), "--id", name, "--url",
                     f"https://example.org/{name}"]) == 0
    assert main(["key", "new", "alice", "--root", str(root), "--key-file",
                 str(tmp_path / "alice.key")]) == 0
    return root


def seal(root: Path, *args: str) -> None:
    assert main(["seal", "--root", str(root), "--key-file", str(root.parent / "alice.key"),
                 *args]) == 0


def custody(root: Path) -> tuple[dict[str, CustodyView], str]:
    """Each source's custody view, and the page the report renders."""
    collection = Collection(root)
    view = build_report(collection, verify(collection, jobs=1, use_cache=False),
                        datetime.now(UTC))
    return {s.id: s.custody for s in view.sources}, render_html(view)


def test_a_seal_without_timestamp_proves_who_not_when(root: Path) -> None:
    seal(root, "--no-timestamp")
    views, page = custody(root)
    one = views["one"]
    assert (one.status, one.signer, one.stamps) == ("sealed", "alice", [])
    assert any("it proves who vouched, not when" in line for line in one.does_not_show)
    assert "none: sealed with --no-timestamp" in page and "Not sealed" not in page


def test_a_text_edited_after_the_seal_is_changed_and_one_added_is_new(root: Path,
                                                                      tsa: Tsa) -> None:
    seal(root, "--tsa", tsa.url("good"), "--tsa-ca", str(tsa.ca))
    edited = root.parent / "edited.txt"
    edited.write_text("The one text.\n\nIt says something once.\n", "utf-8")
    assert main(["edit", "one", "--root", str(root), "--text", str(edited), "--reason",
                 "the colleague's correction", "--by", "editor"]) == 0
    three = root.parent / "three.txt"
    three.write_text("A third text.\n", "utf-8")
    assert main(["add", str(three), "--root", str(root), "--id", "three", "--url",
                 "https://example.org/three"]) == 0
    views, page = custody(root)
    [folder] = seal_dirs(Collection(root))
    one = views["one"]
    assert one.status == "changed" and one.stamps[0].tsa == "archiver test TSA good"
    assert {f.path for f in one.changed} == {"manifests/one.json", "corpus/one.v2.txt"}
    assert any(f"The seal {folder.name} of " in line and "differs today (corpus/one.v2.txt, "
               "manifests/one.json)" in line for line in one.shows)
    assert not any("exactly as sealed" in line for line in one.shows)
    assert views["two"].status == "sealed"
    three_view = views["three"]
    assert three_view.status == "new" and not three_view.shows
    assert any(f"added after the seal {folder.name}" in line
               for line in three_view.does_not_show)
    assert "since the seal" in page and page.count('<span class="label ok">sealed</span>') == 1


def test_a_tampered_signature_makes_every_source_invalid(root: Path) -> None:
    seal(root, "--no-timestamp")
    [folder] = seal_dirs(Collection(root))
    signature = folder / "seal.sig"
    data = bytearray(signature.read_bytes())
    data[0] ^= 0x01
    signature.write_bytes(bytes(data))
    views, page = custody(root)
    assert {v.status for v in views.values()} == {"invalid"}
    assert all(v.shows == [f"Nothing from the seal: the latest seal {folder.name} does not "
                           "verify (see seal-invalid or timestamp-invalid among the "
                           "collection's findings); it may have been tampered with."]
               for v in views.values())
    assert "seal-invalid" in page and "signed that seal" not in page
