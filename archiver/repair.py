"""Repair lost link targets from the archived original: each placeholder takes the URL of the
anchor at the same place in the aligned passage of the original page, or is left unresolved."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin

import lxml.html
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from archiver import __version__
from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.extract import decode_html, extract_with, installed_extractor
from archiver.fidelity import (
    BARE_PLACEHOLDER,
    LINK,
    Match,
    Passage,
    align,
    joined,
    parse_passage,
    parse_text,
)
from archiver.fileio import sha256_bytes
from archiver.manifest import (
    Extracted,
    Extractor,
    HistoryEntry,
    LinkEdit,
    Manifest,
    Tool,
    now,
)
from archiver.warc import read_response

_LOST_TARGETS = ("", "#")
_VERSION = re.compile(r"\.v\d+$")
_BLOCKS = (
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "dd", "dt", "td", "th",
    "figcaption", "caption", "pre", "div", "section", "article", "summary", "address",
)
# A passage the extractor rewrote slightly (spacing around inline tags) still finds its block.
_BLOCK_CUTOFF = 90.0


@dataclass(frozen=True)
class RepairEdit:
    """One placeholder and its replacement, with where in the page the URL was found."""

    line: int
    column: int  # offset of ``before`` in the line
    before: str
    after: str
    url: str
    evidence: str  # the anchor's XPath in the archived page


@dataclass(frozen=True)
class Unresolved:
    """A placeholder left as it is, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class RepairPlan:
    """The edits proposed for one text (identified by its sha256) and what stays unresolved."""

    text_sha256: str
    edits: list[RepairEdit]
    unresolved: list[Unresolved]

    def apply(self, text: str) -> str:
        """The text with every edit made."""
        lines = text.split("\n")
        for edit in sorted(self.edits, key=lambda e: (e.line, e.column), reverse=True):
            line = lines[edit.line - 1]
            if line[edit.column : edit.column + len(edit.before)] != edit.before:
                raise ArchiverError(None, f"line {edit.line} no longer holds {edit.before!r}")
            end = edit.column + len(edit.before)
            lines[edit.line - 1] = line[: edit.column] + edit.after + line[end:]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Placeholder:
    line: int
    column: int
    markup: str
    text: str
    link: int  # index of the link within its line, or -1 for a bare `(#)`


def find_placeholders(text: str) -> Iterator[_Placeholder]:
    """Every link placeholder in ``text`` (`[text](#)`, `[text]()`, bare `(#)`), in order."""
    for number, line in enumerate(text.split("\n"), start=1):
        found = [
            _Placeholder(number, m.start(), m.group(), m.group(1), k)
            for k, m in enumerate(LINK.finditer(line))
            if m.group(2).strip("<>") in _LOST_TARGETS
        ]
        found += [
            _Placeholder(number, m.start(), m.group(), "", -1)
            for m in BARE_PLACEHOLDER.finditer(line)
        ]
        yield from sorted(found, key=lambda p: p.column)


class _Page:
    """The archived page as lxml sees it: its blocks by content, and its base URL."""

    def __init__(self, html: bytes, url: str, charset: str) -> None:
        page, _, _ = decode_html(html, charset)
        self.root = lxml.html.document_fromstring(page) if page.strip() else None
        base = self.root.find(".//base[@href]") if self.root is not None else None
        self.base = urljoin(url, base.get("href").strip()) if base is not None else url
        self._blocks: dict[str, list[lxml.html.HtmlElement]] | None = None

    def blocks(self, passage: Passage) -> list[lxml.html.HtmlElement]:
        """The innermost block elements whose words are the passage's."""
        if self._blocks is None:
            self._blocks = {}
            if self.root is not None:
                for element in self.root.iter(*_BLOCKS):
                    key = parse_passage(element.text_content(), 0).key
                    self._blocks.setdefault(key, []).append(element)
        found = self._blocks.get(passage.key)
        if found is None:
            best = process.extractOne(
                passage.key, list(self._blocks), scorer=fuzz.ratio, score_cutoff=_BLOCK_CUTOFF
            )
            found = self._blocks[best[0]] if best else []
        return [e for e in found if not any(d in found for d in e.iterdescendants(*_BLOCKS))]

    def anchors(self, block: lxml.html.HtmlElement, text: str) -> list[lxml.html.HtmlElement]:
        """The anchors in ``block`` whose words are ``text``'s, in document order."""
        return [
            a for a in block.iter("a")
            if parse_passage(a.text_content(), 0).key == text
        ]

    def target(self, anchor: lxml.html.HtmlElement) -> str | None:
        """The anchor's URL, made absolute against the page's base; None if it has none."""
        href = (anchor.get("href") or "").strip()
        if href in _LOST_TARGETS or href.lower().startswith("javascript:"):
            return None
        return urljoin(self.base, href)

    def path(self, anchor: lxml.html.HtmlElement) -> str:
        """Where the anchor is: its XPath."""
        return anchor.getroottree().getpath(anchor)


def propose_repairs(
    stored_text: str, html: bytes, url: str, extractor: Extractor, charset: str | None = None
) -> RepairPlan:
    """Propose a URL for every link placeholder of ``stored_text`` from the archived page."""
    extraction = extract_with(html, url, extractor, charset)
    stored, original = parse_text(stored_text), parse_text(extraction.text)
    by_line = {line: i for i, p in enumerate(stored) for line in p.lines}
    matches = {i: m for m in align(stored, original) for i in m.stored}
    page = _Page(html, url, extraction.charset)
    edits: list[RepairEdit] = []
    unresolved: list[Unresolved] = []
    for placeholder in find_placeholders(stored_text):
        outcome = _resolve(placeholder, matches[by_line[placeholder.line]], stored, original, page)
        if isinstance(outcome, str):
            unresolved.append(Unresolved(placeholder.line, placeholder.markup, outcome))
            continue
        anchor, target = outcome
        # Markdown needs angle brackets around a target with spaces or parentheses
        after = f"[{placeholder.text}]({f'<{target}>' if set(target) & set(' ()') else target})"
        edits.append(RepairEdit(placeholder.line, placeholder.column, placeholder.markup, after,
                                target, page.path(anchor)))
    return RepairPlan(sha256_bytes(stored_text.encode("utf-8")), edits, unresolved)


def _resolve(
    placeholder: _Placeholder,
    match: Match,
    stored: list[Passage],
    original: list[Passage],
    page: _Page,
) -> tuple[lxml.html.HtmlElement, str] | str:
    """The anchor and URL for one placeholder, or the reason there is none."""
    if placeholder.link < 0 or not placeholder.text.strip():
        return "a placeholder without link text cannot be matched"
    if not match.original:
        return "the passage is not in the original (text-added)"
    text = parse_passage(placeholder.text, 0).key
    found = _aligned_link(placeholder, match, stored, original)
    if found is not None:  # the same words, in the same place, are a link in the original
        passage, link = found
        words = _link_words(passage, link)
        named = [k for k in range(len(passage.links)) if _link_words(passage, k) == words]
        # the n-th link of that name in the passage is the n-th such anchor in its block
        candidates = [anchors[named.index(link)] for block in page.blocks(passage)
                      if len(anchors := page.anchors(block, words)) == len(named)]
    else:  # no anchored position: only a link of the same name in the aligned passage will do
        candidates = [a for i in match.original for block in page.blocks(original[i])
                      for a in page.anchors(block, text)]
    targets = {page.target(a) for a in candidates}
    if None in targets:
        return f'the link "{text}" has no target in the original either'
    if not targets:
        return f'no link "{text}" in the aligned passage of the original'
    if len(targets) > 1:
        return f'ambiguous: {len(targets)} different links "{text}" in the aligned passage'
    return candidates[0], targets.pop()


def _link_words(passage: Passage, link: int) -> str:
    return " ".join(w for w, k in zip(passage.words, passage.word_links, strict=True) if k == link)


def _aligned_link(
    placeholder: _Placeholder, match: Match, stored: list[Passage], original: list[Passage]
) -> tuple[Passage, int] | None:
    """The original passage and link index at the placeholder's place, if its words are
    anchored: unchanged, with the words (or passage edge) on both sides unchanged too."""
    whole = joined(stored, match.stored)
    offset = sum(
        len(stored[i].links) for i in match.stored if stored[i].lines[0] < placeholder.line
    )
    tokens = [t for t, k in enumerate(whole.word_links) if k == offset + placeholder.link]
    if not tokens:
        return None
    first, last = tokens[0], tokens[-1] + 1
    source = joined(original, match.original)
    op = next(op for op in Levenshtein.opcodes(whole.words, source.words)
              if op.src_start <= first < op.src_end)
    left = first > op.src_start or op.src_start == op.dest_start == 0
    right = last < op.src_end or (op.src_end, op.dest_end) == (len(whole.words),
                                                              len(source.words))
    if op.tag != "equal" or last > op.src_end or not (left and right):
        return None
    links = {source.word_links[op.dest_start + t - op.src_start] for t in tokens}
    if len(links) != 1 or -1 in links:
        return None
    link = links.pop()
    # the link lies in one of the joined original passages; find it and its index there
    for i in match.original:
        if link < len(original[i].links):
            return original[i], link
        link -= len(original[i].links)
    return None


def render_diff(plan: RepairPlan, stored_text: str, path: str = "text") -> str:
    """The plan as a unified diff of the text."""
    return "".join(difflib.unified_diff(
        stored_text.splitlines(keepends=True),
        plan.apply(stored_text).splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    ))


def apply_repairs(
    collection: Collection, manifest: Manifest, plan: RepairPlan, evidence_record: str
) -> Manifest:
    """Write the repaired text as a new version and record the edits in the manifest's history.

    Refuses a text that no longer matches its manifest hash, or that the plan was not made
    for, so the history chain stays unbroken. The previous version stays in the collection;
    the new file is staged, so a run killed before the manifest is saved loses nothing.
    """
    if manifest.text is None:
        raise ArchiverError(manifest.id, "the source has no text to repair")
    relpath = manifest.text.path
    entry = manifest.file(relpath)
    path = collection.resolve(relpath)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArchiverError(relpath, f"cannot read: {exc.strerror}") from None
    sha = sha256_bytes(data)
    if entry is None or (sha, len(data)) != (entry.sha256, entry.size):
        raise ArchiverError(relpath, "the text does not match its manifest hash; "
                            "verify and restore it before repairing")
    if sha != plan.text_sha256:
        raise ArchiverError(relpath, "the repair plan was made for another version of the text")
    if not plan.edits:
        return manifest
    text = data.decode("utf-8")
    repaired = plan.apply(text).encode("utf-8")
    before_lines, after_lines = text.split("\n"), repaired.decode("utf-8").split("\n")
    changes = [
        LinkEdit(line=n, before=before_lines[n - 1], after=after_lines[n - 1],
                 evidence=evidence_record)
        for n in sorted({e.line for e in plan.edits})
    ]
    after = sha256_bytes(repaired)
    new_path = next_version(manifest, relpath)
    updated = manifest.model_copy(deep=True)
    updated.files.append(entry.model_copy(update={"path": new_path, "sha256": after,
                                                  "size": len(repaired)}))
    updated.text = manifest.text.model_copy(update={"path": new_path})
    updated.history.append(HistoryEntry(
        at=now(),
        action="repaired",
        path=new_path,
        previous_path=relpath,
        sha256_before=sha,
        sha256_after=after,
        reason=f"restored {len(plan.edits)} link target(s) from the archived original",
        tool=Tool(name="archiver", version=__version__),
        changes=changes,
    ))
    with collection.staging() as staged:
        staged.write(new_path, (repaired,))
        staged.commit(updated)
    return updated


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


def plan_source_repairs(collection: Collection, manifest: Manifest) -> tuple[RepairPlan, str]:
    """Plan the repairs of a source's text from its archived original; returns the plan and the
    evidence record (``<warc path>#<WARC-Record-ID>``) to pass to apply_repairs."""
    if manifest.text is None:
        raise ArchiverError(manifest.id, "the source has no text to repair")
    origin = manifest.text.origin
    capture = (manifest.capture(origin.capture_id) if isinstance(origin, Extracted)
               else (manifest.captures[-1] if manifest.captures else None))
    if capture is None:
        raise ArchiverError(manifest.id, "the source has no archived original to repair from")
    extractor = origin.extractor if isinstance(origin, Extracted) else installed_extractor()
    response = read_response(collection.resolve(capture.warc_path), capture.response_record_id)
    text = collection.resolve(manifest.text.path).read_bytes().decode("utf-8")
    plan = propose_repairs(text, response.body, capture.final_url, extractor, response.charset)
    return plan, f"{capture.warc_path}#{capture.response_record_id}"
