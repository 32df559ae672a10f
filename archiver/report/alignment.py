"""The stored text beside the archived original, passage by passage, for the HTML report:
aligned by the same code verify judges with (``align.align``), words that differ marked."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.fidelity.align import align, joined
from archiver.fidelity.extract import installed_extractor, rederive
from archiver.fidelity.originals import original_capture, original_html
from archiver.fidelity.passages import Passage, parse_text
from archiver.manifest import Capture, Extracted, Manifest


@dataclass(frozen=True)
class Word:
    """A word as shown, or a run of unchanged words; ``changed`` when the other side has
    something else in its place."""

    text: str
    changed: bool = False


@dataclass
class Row:
    """One aligned pair of passages. ``kind``: same, altered, added (only in the stored text)
    or missing (only in the original)."""

    kind: str
    lines: list[int]  # the stored text's lines of this passage
    stored: list[Word] = field(default_factory=list)
    original: list[Word] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # anchors of findings on these lines
    misquote: bool = False


@dataclass(frozen=True)
class SideBySide:
    """The rows, the capture compared with and the extractor that drew the article."""

    capture: Capture
    extractor: str
    rows: list[Row]


def _words(passage: Passage, changed: set[int] | None = None) -> list[Word]:
    """The passage's words as shown: each changed word alone (it is marked), the unchanged
    words between them as one run, spaced as the words are (the same page, with a tenth of
    the pieces for the template to write: a report of 2,000 sources spent a third of its
    time writing words one at a time)."""
    if not changed:
        return [Word(" ".join(passage.words))] if passage.words else []
    out: list[Word] = []
    start = 0
    for i in sorted(changed):
        if i > start:
            out.append(Word(" ".join(passage.words[start:i])))
        out.append(Word(passage.words[i], True))
        start = i + 1
    if start < len(passage.words):
        out.append(Word(" ".join(passage.words[start:])))
    return out


def _pair(stored: Passage, original: Passage) -> Row:
    """Two aligned passages with the words that differ marked on each side."""
    changed_stored: set[int] = set()
    changed_original: set[int] = set()
    for op in Levenshtein.opcodes(stored.words, original.words):
        if op.tag != "equal":
            changed_stored.update(range(op.src_start, op.src_end))
            changed_original.update(range(op.dest_start, op.dest_end))
    kind = "altered" if changed_stored or changed_original else "same"
    return Row(kind, sorted(set(stored.lines)), _words(stored, changed_stored),
               _words(original, changed_original))


def rows(stored_text: str, original_text: str) -> list[Row]:
    """Every passage of both texts in reading order, aligned as verify aligns them."""
    stored, original = parse_text(stored_text), parse_text(original_text)
    out = []
    for match in align(stored, original):
        if match.stored and match.original:
            out.append(_pair(joined(stored, match.stored), joined(original, match.original)))
        elif match.stored:
            passage = joined(stored, match.stored)
            if passage.words:  # markup alone (an image, `* * *`) adds no words
                out.append(Row("added", sorted(set(passage.lines)), _words(passage)))
        else:
            passage = joined(original, match.original)
            out.append(Row("missing", [], original=_words(passage)))
    return out


def side_by_side(collection: Collection, manifest: Manifest, stored_text: str) -> SideBySide:
    """The stored text beside the article of the capture verify compares it with, re-derived
    from the WARC as verify re-derives it; raise ArchiverError when it cannot be."""
    capture = original_capture(manifest) if manifest.text is not None else None
    if capture is None:
        raise ArchiverError(manifest.id, "no successful capture to compare the text with")
    html, charset, _ = original_html(collection.resolve(capture.warc_path), capture)
    assert manifest.text is not None
    origin = manifest.text.origin
    extractor = origin.extractor if isinstance(origin, Extracted) else installed_extractor()
    extraction = rederive(html, capture.final_url, extractor, charset)
    name = f"{extraction.extractor.name} {extraction.extractor.version}"
    return SideBySide(capture, name, rows(stored_text, extraction.text))
