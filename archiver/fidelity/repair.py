"""Repair lost link targets from the archived original: each placeholder takes the URL that the
original's extracted text has at the same place (words aligned as words, so punctuation and
quotation marks do not count), or that the page's own anchors give a passage the extractor left
out; a placeholder whose place is not sure stays unresolved, with the reason."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.html
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from trafilatura.utils import safe_base_url, safe_relative_url

from archiver.collection import DEFAULT_WAIT, Collection
from archiver.errors import ArchiverError
from archiver.fidelity.align import align, joined
from archiver.fidelity.extract import (
    absolute_link,
    decode_html,
    document_base,
    extract_with,
    installed_extractor,
)
from archiver.fidelity.originals import original_html
from archiver.fidelity.passages import BARE_PLACEHOLDER, LINK, parse_passage, parse_text
from archiver.fileio import sha256_bytes
from archiver.history import require_active
from archiver.manifest import Extracted, Extractor, LinkEdit, Manifest, load_manifest
from archiver.versions import current_text, write_text_version

_LOST_TARGETS = ("", "#")
_BLOCKS = (
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "dd", "dt", "td", "th",
    "figcaption", "caption", "pre", "div", "section", "article", "summary", "address",
)
# A passage the extractor rewrote slightly (spacing around inline tags) still finds its block.
_BLOCK_CUTOFF = 90.0
_WORD = re.compile(r"\w+")
# Where the same words link to different targets, a placeholder's place decides only with this
# many unchanged words on each side of it (or the passage's edge).
_SURE_CONTEXT = 2


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


_LinkId = tuple[int, int]  # (line, index of the link within the line)


@dataclass(frozen=True)
class _Word:
    """One word of a line as link repair compares it: letters and digits only, case folded,
    so punctuation next to a link, quotation marks of any style and initials do not count."""

    norm: str
    line: int
    start: int  # offsets in the line as written
    end: int
    link: _LinkId | None


def _line_words(
    line: str, number: int
) -> tuple[list[_Word], dict[_LinkId, str], dict[_LinkId, str]]:
    """The words of one Markdown line, and the target and text of each of its links."""
    words: list[_Word] = []
    targets: dict[_LinkId, str] = {}
    labels: dict[_LinkId, str] = {}

    def plain(start: int, end: int, link: _LinkId | None) -> list[_Word]:
        return [_Word(m.group().casefold(), number, m.start(), m.end(), link)
                for m in _WORD.finditer(line, start, end)]

    pos = 0
    for k, m in enumerate(LINK.finditer(line)):
        words += plain(pos, m.start(), None)
        targets[(number, k)] = m.group(2).strip("<>")
        labels[(number, k)] = m.group(1)
        linked = plain(m.start(1), m.end(1), (number, k))
        label = m.group(1).strip()
        if not linked and label:  # a link of symbols only (a footnote's ^) is one word
            at = m.start(1) + m.group(1).index(label)
            linked = [_Word(label, number, at, at + len(label), (number, k))]
        words += linked
        pos = m.end()
    return words + plain(pos, len(line), None), targets, labels


@dataclass
class _Side:
    """Lines of one text taken as one passage: their words and their links' targets."""

    words: list[_Word]
    targets: dict[_LinkId, str]
    labels: dict[_LinkId, str]  # each link's text as written
    lines: dict[int, str]

    @classmethod
    def of(cls, lines: list[str], numbers: list[int]) -> _Side:
        words: list[_Word] = []
        targets: dict[_LinkId, str] = {}
        labels: dict[_LinkId, str] = {}
        for n in numbers:
            w, t, label = _line_words(lines[n - 1], n)
            words += w
            targets.update(t)
            labels.update(label)
        return cls(words, targets, labels, {n: lines[n - 1] for n in numbers})

    def name(self, link: _LinkId) -> tuple[str, ...]:
        return tuple(w.norm for w in self.words if w.link == link)

    def named(self, name: tuple[str, ...]) -> list[_LinkId]:
        """The links whose words are ``name``, in order."""
        return [link for link in self.targets if self.name(link) == name]


@dataclass
class _Aligned:
    """A stored passage's words mapped onto the aligned original's where they are unchanged."""

    stored: _Side
    original: _Side
    to_original: list[int]  # per stored word, the original word it is, or -1
    run: list[tuple[int, int]]  # per stored word, the unchanged run (stored offsets) it is in

    @classmethod
    def of(cls, stored: _Side, original: _Side) -> _Aligned:
        to_original, run = [-1] * len(stored.words), [(0, 0)] * len(stored.words)
        ops = Levenshtein.opcodes([w.norm for w in stored.words],
                                  [w.norm for w in original.words])
        for op in ops:
            if op.tag == "equal":
                to_original[op.src_start : op.src_end] = range(op.dest_start, op.dest_end)
                run[op.src_start : op.src_end] = [(op.src_start, op.src_end)] * (
                    op.src_end - op.src_start)
        return cls(stored, original, to_original, run)

    def context(self, first: int, last: int) -> int:
        """How many unchanged words stand on the narrower side of stored words [first, last)
        (the passage's edge, where both texts have it, counts as many); -1 if they changed."""
        if first >= last or self.run[first] != self.run[last - 1] or self.to_original[first] < 0:
            return -1
        start, end = self.run[first]
        o_first, o_last = self.to_original[first], self.to_original[last - 1] + 1
        edge = len(self.stored.words)
        left = edge if first == start == 0 and o_first == 0 else first - start
        right = (edge if end == last == len(self.stored.words)
                 and o_last == len(self.original.words) else end - last)
        return min(left, right)

    def link_at(self, first: int, last: int) -> _LinkId | None:
        """The original's link that stored words [first, last) are (all or part of), if any."""
        links = {self.original.words[self.to_original[t]].link for t in range(first, last)}
        return links.pop() if len(links) == 1 and None not in links else None


class _Page:
    """The archived page as lxml sees it: its blocks by content, and its anchors."""

    def __init__(self, html: bytes, url: str, charset: str, extractor: Extractor) -> None:
        page, _, _ = decode_html(html, charset)
        self.root = lxml.html.document_fromstring(page) if page.strip() else None
        # the rule the text's extraction followed for relative links, so a URL found here is
        # the one its text of the page has: a browser's with the absolute-links step, else
        # trafilatura's own (the page's scheme and host only)
        self.browser = "absolute-links" in extractor.preprocessing
        self.base = (document_base(self.root, url) if self.root is not None else url
                     ) if self.browser else safe_base_url(url)
        self._blocks: dict[str, list[lxml.html.HtmlElement]] | None = None

    def blocks(self, key: str) -> list[lxml.html.HtmlElement]:
        """The innermost block elements whose words are a passage's (by its key)."""
        if self._blocks is None:
            self._blocks = {}
            if self.root is not None:
                for element in self.root.iter(*_BLOCKS):
                    block = parse_passage(element.text_content(), 0).key
                    self._blocks.setdefault(block, []).append(element)
        found = self._blocks.get(key)
        if found is None:
            best = process.extractOne(
                key, list(self._blocks), scorer=fuzz.ratio, score_cutoff=_BLOCK_CUTOFF
            )
            found = self._blocks[best[0]] if best else []
        return [e for e in found if not any(d in found for d in e.iterdescendants(*_BLOCKS))]

    def anchors(self, name: tuple[str, ...]) -> list[lxml.html.HtmlElement]:
        """Every anchor of the page whose words are ``name``, in document order."""
        if self.root is None:
            return []
        return [a for a in self.root.iter("a") if _name(a.text_content()) == name]

    def target(self, anchor: lxml.html.HtmlElement) -> str | None:
        """The anchor's URL as the extractor writes it; None if it has none."""
        href = (anchor.get("href") or "").strip()
        if href in _LOST_TARGETS or href.lower().startswith("javascript:"):
            return None
        if self.browser:
            return absolute_link(self.base, href)
        return (safe_relative_url(self.base, href) or href) if self.base else href

    def evidence(self, name: tuple[str, ...], url: str) -> str:
        """The XPath of the anchor that links to ``url``: the first named ``name``, else the
        first of any name (a link split in the text is half of its anchor's words)."""
        if self.root is not None:
            for anchor in [*self.anchors(name), *self.root.iter("a")]:
                if self.target(anchor) == url:
                    return anchor.getroottree().getpath(anchor)
        return "the link at the same place in the original's extracted text"

    def targetless(self, name: tuple[str, ...]) -> bool:
        """Whether the page has anchors named ``name`` and none of them has a target: the
        extractor then writes the page's own address, which is no target either."""
        anchors = self.anchors(name)
        return bool(anchors) and all(self.target(a) is None for a in anchors)


def _name(text: str) -> tuple[str, ...]:
    words = tuple(w.casefold() for w in _WORD.findall(text))
    return words or ((text.strip(),) if text.strip() else ())


def propose_repairs(
    stored_text: str, html: bytes, url: str, extractor: Extractor, charset: str | None = None
) -> RepairPlan:
    """Propose a URL for every link placeholder of ``stored_text`` from the archived page."""
    extraction = extract_with(html, url, extractor, charset)
    stored, original = parse_text(stored_text), parse_text(extraction.text)
    stored_lines, original_lines = stored_text.split("\n"), extraction.text.split("\n")
    by_line = {line: i for i, p in enumerate(stored) for line in p.lines}
    matches = {i: m for m in align(stored, original) for i in m.stored}
    page = _Page(html, url, extraction.charset, extractor)
    aligned: dict[int, _Aligned] = {}
    edits: list[RepairEdit] = []
    unresolved: list[Unresolved] = []
    for placeholder in find_placeholders(stored_text):
        match = matches[by_line[placeholder.line]]
        key = match.stored[0]
        if key not in aligned:
            aligned[key] = _Aligned.of(
                _Side.of(stored_lines, [n for i in match.stored for n in stored[i].lines]),
                _Side.of(original_lines, [n for i in match.original for n in original[i].lines]),
            )
        resolver = _resolve_bare if placeholder.link < 0 else _resolve_link
        outcome = resolver(placeholder, aligned[key], joined(stored, match.stored).key, page)
        if isinstance(outcome, str):
            unresolved.append(Unresolved(placeholder.line, placeholder.markup, outcome))
        else:
            edits.append(outcome)
    return RepairPlan(sha256_bytes(stored_text.encode("utf-8")), edits, unresolved)


def _markdown_link(text: str, target: str) -> str:
    # Markdown needs angle brackets around a target with spaces or parentheses
    return f"[{text}]({f'<{target}>' if set(target) & set(' ()') else target})"


def _resolve_link(
    placeholder: _Placeholder, aligned: _Aligned, key: str, page: _Page
) -> RepairEdit | str:
    """The edit for a ``[text](#)`` placeholder, or the reason there is none."""
    link = (placeholder.line, placeholder.link)
    tokens = [t for t, w in enumerate(aligned.stored.words) if w.link == link]
    if not tokens:
        return "a placeholder without link text cannot be matched"
    name = aligned.stored.name(link)
    shown = " ".join(name)
    target = _target(aligned, link, tokens[0], tokens[-1] + 1)
    if target is None:
        # not in the original's text at this place: the page's own anchors in the passage
        anchors = [a for block in page.blocks(key) for a in block.iter("a")
                   if _name(a.text_content()) == name]
        if not aligned.original.words and not anchors:
            return "the passage is not in the original (text-added)"
        urls = {page.target(a) for a in anchors}
        if None in urls:
            return f'the link "{shown}" has no target in the original either'
        if len(urls) > 1:
            return f'ambiguous: {len(urls)} different links "{shown}" in the passage of the page'
        if not urls:
            return f'no link "{shown}" in the aligned passage of the original'
        found = urls.pop()
        assert found is not None  # None was refused above
        target = found
        evidence = anchors[0].getroottree().getpath(anchors[0])
    elif isinstance(target, _Unsure):
        return str(target)
    else:
        evidence = page.evidence(name, target)
    if target in _LOST_TARGETS or page.targetless(name):
        return f'the link "{shown}" has no target in the original either'
    return RepairEdit(placeholder.line, placeholder.column, placeholder.markup,
                      _markdown_link(placeholder.text, target), target, evidence)


class _Unsure(str):
    """Why a link's target cannot be decided."""

    __slots__ = ()


def _target(aligned: _Aligned, link: _LinkId, first: int, last: int) -> str | _Unsure | None:
    """The original's target for the stored link at words [first, last): decided by position
    and, where the same words link to different targets, by position and order together.
    _Unsure when it cannot be; None when the original's text has no link of these words."""
    stored, original = aligned.stored, aligned.original
    name = stored.name(link)
    named = original.named(name)
    targets = {original.targets[n] for n in named}
    context = aligned.context(first, last)
    at = aligned.link_at(first, last) if context >= 0 else None
    if at is not None and context >= 1:
        found = original.targets[at]
        if targets <= {found}:  # no other link of these words goes elsewhere
            return found
        # the same words link to several targets: the place must be sure on both sides and
        # agree with the order of the links of these words in the passage
        mine = stored.named(name)
        if context >= _SURE_CONTEXT and len(mine) == len(named) and (
                at in named and mine.index(link) == named.index(at)):
            return found
        return _Unsure(f'ambiguous: the words "{" ".join(name)}" link to {len(targets)} '
                       "different targets in the passage and its place in the text is not "
                       "certain")
    if len(targets) == 1:
        return targets.pop()
    if targets:
        return _Unsure(f'ambiguous: {len(targets)} different links "{" ".join(name)}" in the '
                       "aligned passage, and the words around it changed")
    return None


def _resolve_bare(
    placeholder: _Placeholder, aligned: _Aligned, key: str, page: _Page
) -> RepairEdit | str:
    """The edit for a bare ``(#)``: the words just before it, if the original links exactly
    those words at that place; otherwise the reason it stays."""
    del key  # a bare placeholder is only resolved by position in the original's text
    words = aligned.stored.words
    before = [t for t, w in enumerate(words)
              if w.line == placeholder.line and w.end <= placeholder.column]
    reason = "a bare (#) whose preceding words are not a link at that place in the original"
    if not before or words[before[-1]].link is not None:
        return reason
    last = before[-1] + 1
    if aligned.context(last - 1, last) < 0:
        return reason
    link = aligned.original.words[aligned.to_original[last - 1]].link
    if link is None:
        return reason
    length = len(aligned.original.name(link))
    first = last - length
    if (first < 0 or words[first].line != placeholder.line
            or any(w.link is not None for w in words[first:last])
            or aligned.link_at(first, last) != link
            or aligned.original.words[aligned.to_original[first]].link != link
            or aligned.context(first, last) < 1):
        return reason
    target = aligned.original.targets[link]
    if target in _LOST_TARGETS or page.targetless(aligned.original.name(link)):
        return "the link before this (#) has no target in the original either"
    named = {aligned.original.targets[n] for n in aligned.original.named(
        aligned.original.name(link))}
    if len(named) > 1 and aligned.context(first, last) < _SURE_CONTEXT:
        return (f"ambiguous: the words before this (#) link to {len(named)} different "
                "targets in the passage and its place in the text is not certain")
    line = placeholder.line
    text = aligned.stored.lines[line]
    start = words[first].start
    # the link's text may begin with symbols before its first word (@name, #tag, a quotation
    # mark): they belong inside the link when the line has them there
    label = aligned.original.labels[link]
    word = _WORD.search(label)
    lead = label[: word.start()] if word else ""
    if lead and text[max(start - len(lead), 0) : start] == lead:
        start -= len(lead)
    end = placeholder.column + len(placeholder.markup)
    label = text[start : placeholder.column].rstrip()
    return RepairEdit(line, start, text[start:end], _markdown_link(label, target), target,
                      page.evidence(aligned.original.name(link), target))


def render_diff(plan: RepairPlan, stored_text: str, path: str = "text") -> str:
    """The plan as a unified diff of the text."""
    return "".join(difflib.unified_diff(
        stored_text.splitlines(keepends=True),
        plan.apply(stored_text).splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    ))


def apply_repairs(
    collection: Collection, manifest: Manifest, plan: RepairPlan, evidence_record: str,
    *, by: str | None = None, wait: float = DEFAULT_WAIT,
) -> Manifest:
    """Write the repaired text as a new version and record the edits in the manifest's history.

    Refuses a text that no longer matches its manifest hash, or that the plan was not made
    for, so the history chain stays unbroken, and a manifest that another run changed since
    it was read (its update would be lost). The previous version stays in the collection;
    the new file is staged, so a run killed before the manifest is saved loses nothing.
    Holds the collection's write lock, waiting at most ``wait`` seconds.
    """
    with collection.writing(wait=wait):
        if load_manifest(collection.manifest_path(manifest.id)) != manifest:
            raise ArchiverError(f"manifests/{manifest.id}.json", "changed by another run since "
                                "the repair was planned; plan it again")
        return _apply(collection, manifest, plan, evidence_record, by)


def _apply(collection: Collection, manifest: Manifest, plan: RepairPlan, evidence_record: str,
           by: str | None) -> Manifest:
    data = current_text(collection, manifest)
    assert manifest.text is not None  # current_text refuses a source without text
    if sha256_bytes(data) != plan.text_sha256:
        raise ArchiverError(manifest.text.path,
                            "the repair plan was made for another version of the text")
    if not plan.edits:
        return manifest
    text = data.decode("utf-8")
    repaired = plan.apply(text)
    before_lines, after_lines = text.split("\n"), repaired.split("\n")
    changes = [
        LinkEdit(line=n, before=before_lines[n - 1], after=after_lines[n - 1],
                 evidence=evidence_record)
        for n in sorted({e.line for e in plan.edits})
    ]
    return write_text_version(
        collection, manifest, repaired.encode("utf-8"), action="repaired", by=by,
        reason=f"restored {len(plan.edits)} link target(s) from the archived original",
        changes=changes)


def plan_source_repairs(collection: Collection, manifest: Manifest) -> tuple[RepairPlan, str]:
    """Plan the repairs of a source's text from its archived original; returns the plan and the
    evidence record (``<warc path>#<WARC-Record-ID>``) to pass to apply_repairs."""
    if manifest.text is None:
        raise ArchiverError(manifest.id, "the source has no text to repair")
    require_active(manifest)
    origin = manifest.text.origin
    capture = (manifest.capture(origin.capture_id) if isinstance(origin, Extracted)
               else (manifest.captures[-1] if manifest.captures else None))
    if capture is None:
        raise ArchiverError(manifest.id, "the source has no archived original to repair from")
    extractor = origin.extractor if isinstance(origin, Extracted) else installed_extractor()
    html, charset, evidence = original_html(collection.resolve(capture.warc_path), capture)
    try:
        text = collection.resolve(manifest.text.path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise ArchiverError(manifest.text.path, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ArchiverError(manifest.text.path, "the text is not UTF-8") from None
    plan = propose_repairs(text, html, capture.page_url, extractor, charset)
    return plan, f"{capture.warc_path}#{evidence}"
