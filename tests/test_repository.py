"""This repository's own collection: the five seeds, byte for byte, and what verify finds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from archiver.collection import Collection
from archiver.verify import VerifyResult, verify

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
IDS = ["000_47ab86cb897dd57c", "001_ccd05f44f5e742bf", "002_7e9babe4acbbf5d0",
       "003_a966f8499681abf0", "004_d2786ee237b4bc83"]


@pytest.fixture(scope="module")
def result() -> VerifyResult:
    return verify(Collection.open(ROOT), jobs=1)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the repository")
@pytest.mark.parametrize("source_id", IDS)
def test_texts_are_the_seeds_byte_for_byte(source_id: str) -> None:
    assert (ROOT / f"corpus/{source_id}.txt").read_bytes() == (
        SEEDS / f"{source_id}.txt").read_bytes()


def test_collection_passes_with_its_damage_listed(result: VerifyResult) -> None:
    assert [d.id for d in result.documents] == IDS
    assert not result.failed()
    # never sealed here: a seal needs a private key, and none may be committed
    assert [f.code for f in result.collection_findings] == ["unsealed"]
    for doc in result.documents:
        assert "capture-pending" in {f.code for f in doc.findings}


def by_code(result: VerifyResult, index: int) -> Counter[str]:
    return Counter(f.code for f in result.documents[index].findings)


def lines(result: VerifyResult, index: int, code: str) -> list[int | None]:
    return [f.line for f in result.documents[index].findings if f.code == code]


def test_000_placeholders_glyphs_and_split_link(result: VerifyResult) -> None:
    counts = by_code(result, 0)
    assert counts["link-placeholder"] == 16
    assert lines(result, 0, "replacement-glyph") == [11]
    assert lines(result, 0, "split-link") == [21]


def test_001_caption_quotes_and_chrome(result: VerifyResult) -> None:
    assert lines(result, 1, "duplicate-line") == [8]
    assert len(lines(result, 1, "unbalanced-quote")) >= 2
    assert {1, 3} <= set(lines(result, 1, "boilerplate"))


def test_003_chrome(result: VerifyResult) -> None:
    assert 1 in lines(result, 3, "boilerplate")
