"""Fidelity: align a stored text with its archived original passage by passage, and report
every difference of content (not of style) as a finding, with the share of words kept."""

from __future__ import annotations

import bisect
import functools
import re
import time
from dataclasses import dataclass, field, replace
from html import unescape
from urllib.parse import unquote, urljoin, urlsplit

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, Levenshtein, Opcode, Opcodes

from archiver.errors import ArchiverError
from archiver.fidelity.extract import PageParts, rederive
from archiver.findings import Finding
from archiver.manifest import Extractor

# Two passages are the same passage, edited, when fuzz.ratio reaches this; below it, one was
# added and the other lost. Low enough for a paragraph cut in half (ratio about 67).
PAIR_CUTOFF = 60.0
_SHOWN_DIFFERENCES = 5
# A passage outside the article is the page's when runs of _GRAM of its words, all found on
# the page, cover this share of it: a peer's text joins and parts the page's blocks its way.
_GRAM = 3
_ON_PAGE_SHARE = 0.8
# A quotation of this many words or more is verbatim if only spacing differs (`MacBook s`).
_GLUED_QUOTE_WORDS = 2
_EXCERPT = 70
# Punctuation is content: a sentence cut or run on, a stray mark (`camps. , Beijing`).
_PUNCTUATION = frozenset(".,;:!?\u2026\u3002\uff0c\uff1b\uff1a\uff01\uff1f\u3001")
_SPACING = re.compile(r"\s+")
# What a text lacks is a loss when it is prose: a passage with this many words or more outside
# its links (`Related post: [a teaser](url)` is a label and a link) that is not a heading nor
# the article's headline. Shorter passages are labels and credits ("More", "Click To
# Tweet", "SOURCE Al Jazeera News"); headings, teaser and
# "subscribe" links and the headline are where makers of faithful texts draw the article's
# bounds differently (on the real pages, most of what human annotators and other tools
# leave out, and no change to the number of texts warned between 5 and 8 words).
_PROSE_WORDS = 5
_HEADING = re.compile(r"[ \t]*#{1,6}[ \t]")
# Passages on the page but outside the article are reported when they are this share of the
# text's words or more: the text is then in good part something else (comments, teasers).
# A headline, byline or caption kept by a peer's text is a few percent of it.
_OUTSIDE_SHARE = 1 / 3

# Style, not content: every quotation mark compares as one, and typographic spaces as spaces.
# Both tables keep string lengths, so offsets found in one string hold in the other.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u2009\u200a\u202f\u3000"), " ")
_SINGLE_MARKS = "\u2018\u2019\u201a\u201b\u2032"  # curly, low-9, reversed, prime
_DOUBLE_MARKS = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"  # the same, and guillemets
_QUOTE_KINDS = str.maketrans(
    {**_SPACES, **dict.fromkeys(map(ord, _SINGLE_MARKS), "'"),
     **dict.fromkeys(map(ord, _DOUBLE_MARKS), '"')}
)
# a target wrapped over lines is one target; a line that starts with a quotation mark holds
# the link's title (html2text: `(https://e.org/titan\n"Titan")`)
_WRAPPED_TARGET = r"(?:[^()\s]|\n(?=[^()\s\"]))"
# A Markdown link: group 1 its text, group 2 its target (`#` or empty when the target was lost).
# Its text may hold brackets, escaped or not (`[a \[Video\]](url)`, `[a [Video]](url)`), and
# its title quotation marks (`[a](url "the "b" case")`).
LINK = re.compile(
    r"\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]\(\s*(<[^>]*>|_T*(?:\(_T*\)_T*)*)(?:\s+\"(?:[^\"]|\"(?!\s*\)))*\")?\s*\)"
    .replace("_T", _WRAPPED_TARGET)
)
_IMAGE = re.compile(
    r"!\[(?:[^\]\\]|\\.)*\]\(\s*_T*(?:\s+\"[^\"]*\")?\s*\)".replace("_T", _WRAPPED_TARGET))
# not a target (`](<url>)`); html2text wraps a long one over lines, as it wraps targets
_AUTOLINK = re.compile(r"(?<!\()<(https?://(?:[^<>\s]|\n(?=[^<>\s]))+)>")
# Markup that is formatting, not words: HTML tags, and at a line's start a heading, quote or
# table mark or a list marker. Blanked out (lengths kept) before words are read.
_MARKUP = re.compile(
    r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>"
    r"|^[ \t]*(?:(?:#{1,6}[ \t]+)?(?:[-*+\u2022\u00b7\u25aa\u2013\u2014]|\d{1,3}\\?[.)])(?=\s)"
    r"|#{1,6}(?=\s)|>+|\|(?=.*\|))",
    re.M,
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# A number and a dot that a hard-wrapped paragraph's line starts with (html2text: `in Python\n3.
# The early history`) are words: by CommonMark, an ordered list interrupts a paragraph only
# when it starts at 1, and a number inside a paragraph is the paragraph's text.
_ORDERED = re.compile(r"[ \t]*(\d{1,9})\\?[.)](?=\s)")
_CONTINUED_NUMBER = re.compile(r"(?<=\n)[ \t]*\d{1,9}\\?[.)](?=\s)")
_BLOCK_START = re.compile(r"[ \t]*(?:#{1,6}\s|>|\||(?:[-*+\u2022]|\d{1,3}[.)])\s)")
_QUOTE_MARKER = re.compile(r"[ \t]*(?:>[ \t]?)+")  # a block quotation's line: `> `, `>> `
BARE_PLACEHOLDER = re.compile(r"(?<!\])\(#\)")  # a lost link that kept neither text nor target
# A word: letters and digits, with inner apostrophes (China's). Punctuation, emphasis marks
# (`_all_`, `**x**`), escapes (`4\\.`) and spacing are style, so they are not part of words.
# Soft hyphens and zero-width characters are invisible: a word they break is one word.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_TOKEN = re.compile(rf"[^\W_]+(?:(?:'|[{_INVISIBLE}]+)[^\W_]+)*")
_UNSEEN = dict.fromkeys(map(ord, _INVISIBLE))
_DOUBLE_QUOTED = re.compile(r'"([^"\n]+)"')
# Quotations read by their own marks before the marks are folded into one: an opening mark
# the page never closes (`des « financements […] des « appels »`) pairs the folded marks
# wrongly, and the directional pass still finds each quotation that is opened and closed.
_DIRECTIONAL_QUOTED = re.compile(
    "\u00ab([^\u00ab\u00bb\n]+)\u00bb|\u00bb([^\u00ab\u00bb\n]+)\u00ab"  # « » and » «
    "|\u201c([^\u201c\u201d\n]+)\u201d|\u201e([^\u201e\u201c\u201d\n]+)[\u201c\u201d]"  # “ ” „ “
)
# A single-quoted passage opens before a non-space and closes before a non-letter; an
# apostrophe followed by a letter (China's) stays inside.
_SINGLE_QUOTED = re.compile(r"(?<!\w)'(?=\S)((?:[^']|'(?=\w))+?)'(?!\w)")


@dataclass
class Passage:
    """One paragraph (or several joined) as compared: its words, where they are, their links."""

    lines: list[int]
    words: list[str] = field(default_factory=list)
    word_lines: list[int] = field(default_factory=list)
    word_links: list[int] = field(default_factory=list)  # index into ``links``, or -1
    links: list[str] = field(default_factory=list)  # each link's target as written
    quoted: list[bool] = field(default_factory=list)
    quotes: list[tuple[int, int, str]] = field(default_factory=list)  # token range, quotation
    heading: bool = False  # a Markdown heading, not prose
    # what stands before each word and after the last: spacing and punctuation
    gaps: list[str] = field(default_factory=lambda: [""])

    @property
    def key(self) -> str:
        """The passage's words as one string: equal keys mean equal content."""
        return " ".join(self.words)

    def joined(self, other: Passage) -> Passage:
        """This passage followed by ``other`` (a paragraph split in two, made whole)."""
        offset, shift = len(self.links), len(self.words)
        return Passage(
            lines=self.lines + other.lines,
            words=self.words + other.words,
            word_lines=self.word_lines + other.word_lines,
            word_links=self.word_links + [i + offset if i >= 0 else -1 for i in other.word_links],
            links=self.links + other.links,
            quoted=self.quoted + other.quoted,
            quotes=self.quotes + [(a + shift, b + shift, q) for a, b, q in other.quotes],
            heading=self.heading and other.heading,
            # the paragraph break between them stands before the other's first word
            gaps=[*self.gaps[:-1], f"{self.gaps[-1]}\n\n{other.gaps[0]}", *other.gaps[1:]],
        )


@dataclass
class Match:
    """Aligned passages: indices into the stored and original passages; one side may be empty."""

    stored: list[int]
    original: list[int]


@dataclass(frozen=True)
class FidelityResult:
    """The findings, the share of the original's words faithfully present, and where time went."""

    findings: list[Finding]
    score: float
    extraction_seconds: float = 0.0
    alignment_seconds: float = 0.0


def parse_passage(line: str, number: int) -> Passage:
    """Read one paragraph of Markdown (a line, or wrapped lines from line ``number`` on) into
    a Passage: link syntax, images, markup, list markers and quote style are dropped."""
    # an image is not text; its newlines are kept so that words keep their line numbers
    line = _IMAGE.sub(lambda m: "\n" * m.group().count("\n") or " ", line)
    line = _AUTOLINK.sub(r"[\1](\1)", line)  # `<https://x>` is a link whose text is its target
    plain: list[str] = []
    spans: list[tuple[int, int, str]] = []  # link text's offsets in the plain line, and target
    size, pos = 0, 0
    for m in LINK.finditer(line):
        before = BARE_PLACEHOLDER.sub("", line[pos : m.start()])
        # a link's edges are word boundaries: `[save](url)on` is two words, as rendered
        start = size + len(before) + 1
        spans.append((start, start + len(m.group(1)), m.group(2).strip("<>").replace("\n", "")))
        plain += (before, " ", m.group(1), " ")
        size, pos = start + len(m.group(1)) + 1, m.end()
    plain.append(BARE_PLACEHOLDER.sub("", line[pos:]))
    joined = "".join(plain)
    # markup is blanked out, but a number that continues a paragraph stays: its digits are a
    # word and its dot ends a sentence (`in Python\n3. The`)
    marked = _MARKUP.sub(lambda m: m.group() if _CONTINUED_NUMBER.match(joined, m.start())
                         else " " * len(m.group()), joined)
    text = marked.translate(_QUOTE_KINDS)
    flat = text.replace("\n", " ")
    directional = {(m.start(), m.end(), next(g for g in m.groups() if g is not None)
                    .translate(_QUOTE_KINDS))
                   for m in _DIRECTIONAL_QUOTED.finditer(marked.replace("\n", " "))}
    quote_spans = sorted(directional | {
        (m.start(), m.end(), m.group(1))
        for pattern in (_DOUBLE_QUOTED, _SINGLE_QUOTED)
        for m in pattern.finditer(flat)
    })
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(flat.replace('"', " "))]
    words = [word.translate(_UNSEEN) for _, _, word in tokens]
    breaks = [i for i, c in enumerate(text) if c == "\n"]
    quote_of = _owners(quote_spans, tokens)
    quote_tokens: dict[int, list[int]] = {}
    for index, quote in enumerate(quote_of):
        if quote >= 0:
            quote_tokens.setdefault(quote, []).append(index)
    return Passage(
        lines=list(range(number, number + len(breaks) + 1)),
        words=words,
        word_lines=[number + bisect.bisect(breaks, start) for start, _, _ in tokens],
        word_links=_owners(spans, tokens),
        links=[url for _, _, url in spans],
        quoted=[quote >= 0 for quote in quote_of],
        quotes=[(t[0], t[-1] + 1, quote_spans[q][2]) for q, t in quote_tokens.items()],
        heading=bool(_HEADING.match(line)),
        gaps=[marked[start:end] for start, end in zip(
            [0, *(end for _, end, _ in tokens)], [*(start for start, _, _ in tokens), len(marked)],
            strict=True)],
    )


def _owners(spans: list[tuple[int, int, str]], tokens: list[tuple[int, int, str]]) -> list[int]:
    """For each token, the index of the first span (sorted by start) it overlaps, or -1."""
    owners, at = [], 0
    for start, end, _ in tokens:
        while at < len(spans) and spans[at][1] <= start:
            at += 1
        owners.append(at if at < len(spans) and spans[at][0] < end else -1)
    return owners


def parse_text(text: str) -> list[Passage]:
    """The passages of a text, lines numbered from 1: each non-blank line, or, in a text whose
    paragraphs are parted by blank lines (Markdown, hard-wrapped), each paragraph."""
    lines = text.split("\n")
    if not _BLANK_LINE.search(text.strip()):
        return [parse_passage(line, n) for n, line in enumerate(lines, start=1) if line.strip()]
    passages: list[Passage] = []
    start = 0  # the first line of the paragraph being read, or 0 between paragraphs
    quoting = False  # whether that paragraph is a block quotation's, wrapped over `> ` lines
    body: list[str] = []  # its lines, without their quotation markers
    for number, line in enumerate([*lines, ""], start=1):
        marker = _QUOTE_MARKER.match(line)
        text = line[marker.end():] if marker else line
        if start and (not text.strip() or bool(marker) != quoting
                      or (_BLOCK_START.match(text if quoting else line)
                      and not _continues(text if quoting else line, body))):
            passages.append(parse_passage("\n".join(body), start))
            start = 0
        if text.strip() and not start:
            start, quoting, body = number, bool(marker), []
        if start:
            body.append(text if quoting else line)
    return passages


def _continues(line: str, body: list[str]) -> bool:
    """Whether a line that starts with a number and a dot goes on the paragraph ``body``
    rather than starting a list: the number is not 1 and the paragraph is no list item."""
    number = _ORDERED.match(line)
    return bool(number) and number.group(1) != "1" and not _BLOCK_START.match(body[0])


def align(stored: list[Passage], original: list[Passage]) -> list[Match]:
    """Align two passage lists in order: identical passages anchor, the rest pair by similarity.

    Identical passages are found by an Indel alignment of passage keys (linear in practice);
    only the runs between them are scored pairwise, with rapidfuzz's cdist.
    """
    ids: dict[str, int] = {}
    stored_ids = [ids.setdefault(p.key, len(ids)) for p in stored]
    original_ids = [ids.setdefault(p.key, len(ids)) for p in original]
    matches: list[Match] = []
    s0 = o0 = 0  # start of the current run of differing passages
    for op in [*Indel.opcodes(stored_ids, original_ids), None]:
        if op is not None and op.tag != "equal":
            continue
        s1, o1 = (op.src_start, op.dest_start) if op else (len(stored), len(original))
        matches.extend(_pair_run(stored, original, s0, s1, o0, o1))
        if op is not None:
            count = op.src_end - op.src_start
            matches.extend(Match([op.src_start + k], [op.dest_start + k]) for k in range(count))
            s0, o0 = op.src_end, op.dest_end
    return matches


def _pair_run(
    stored: list[Passage], original: list[Passage], s0: int, s1: int, o0: int, o1: int
) -> list[Match]:
    """Pair the differing passages of one run, most similar first, never crossing."""
    pairs: list[tuple[int, int]] = []
    if s0 < s1 and o0 < o1:
        scores = process.cdist(
            [p.key for p in stored[s0:s1]],
            [p.key for p in original[o0:o1]],
            scorer=fuzz.ratio,
            score_cutoff=PAIR_CUTOFF,
        )
        candidates = np.argwhere(scores >= PAIR_CUTOFF)
        order = np.argsort(-scores[candidates[:, 0], candidates[:, 1]], kind="stable")
        used_s: set[int] = set()
        used_o: set[int] = set()
        for i, j in candidates[order].tolist():
            if i in used_s or j in used_o:
                continue
            at = bisect.bisect(pairs, (i, j))
            if (at and pairs[at - 1][1] > j) or (at < len(pairs) and pairs[at][1] < j):
                continue  # would cross an accepted pair
            pairs.insert(at, (i, j))
            used_s.add(i)
            used_o.add(j)
    matches: list[Match] = []
    next_s, next_o = 0, 0
    for i, j in [*pairs, (s1 - s0, o1 - o0)]:
        matches.extend(Match([s0 + k], []) for k in range(next_s, i))
        matches.extend(Match([], [o0 + k]) for k in range(next_o, j))
        if i < s1 - s0:
            matches.append(Match([s0 + i], [o0 + j]))
        next_s, next_o = i + 1, j + 1
    return _join_split_passages(matches, stored, original)


def _join_split_passages(
    matches: list[Match], stored: list[Passage], original: list[Passage]
) -> list[Match]:
    """Join an unpaired passage to the pair beside it when that makes the pair more alike:
    one paragraph broken in two (a split link) on either side is still one passage."""
    at = 0
    while at < len(matches):
        lone = matches[at]
        if lone.stored and lone.original:
            at += 1
            continue
        side = "stored" if lone.stored else "original"
        step = 1
        for near, after in ((at - 1, True), (at + 1, False)):
            if not 0 <= near < len(matches):
                continue
            pair = matches[near]
            if not (pair.stored and pair.original):
                continue
            grown = Match(list(pair.stored), list(pair.original))
            ids = getattr(grown, side)
            ids[len(ids) if after else 0 : len(ids) if after else 0] = getattr(lone, side)
            if ids != sorted(ids) or ids[-1] - ids[0] != len(ids) - 1:
                continue  # only neighbours in their own text join
            if _similarity(grown, stored, original) > _similarity(pair, stored, original):
                matches[near] = grown
                del matches[at]
                # look again from the grown pair: a paragraph broken in three joins twice
                step = 0 if after else -1
                break
        at = max(at + step, 0)
    return matches


def _similarity(match: Match, stored: list[Passage], original: list[Passage]) -> float:
    return fuzz.ratio(joined(stored, match.stored).key, joined(original, match.original).key)


def joined(passages: list[Passage], indices: list[int]) -> Passage:
    """The passages at ``indices`` as one passage."""
    whole = passages[indices[0]]
    for i in indices[1:]:
        whole = whole.joined(passages[i])
    return whole


def compare(stored_text: str, original_text: str, text_path: str, page_text: str | None = None,
            note: str = "", base_url: str = "", parts: PageParts | None = None
            ) -> FidelityResult:
    """Compare a stored text with the original's article text; findings name lines of the
    stored text. Quotations and added passages are also looked up in ``page_text``, the
    whole page's text, and ``parts`` tells what its markup sets apart (links, articles,
    bodies of paragraphs, embedded posts); ``note`` ends the message of every text-missing
    finding; a relative link target of either text is read against ``base_url`` (the page's
    address)."""
    started = time.perf_counter()
    if stored_text == original_text:  # every finding is a difference: there is none
        return FidelityResult([], 1.0, alignment_seconds=time.perf_counter() - started)
    stored, original = parse_text(stored_text), parse_text(original_text)
    matches = align(stored, original)
    unpaired = ([stored[i] for m in matches if not m.original for i in m.stored],
                [original[i] for m in matches if not m.stored for i in m.original])
    report = _Report(text_path, unpaired, original, parse_text(page_text or ""),
                     parts or PageParts(), linked=any(p.links for p in stored), note=note,
                     base_url=base_url)
    # a missing passage belongs before the next stored passage, or at the last line
    insert_at, line = [], len(stored_text.rstrip("\n").split("\n"))
    for match in reversed(matches):
        insert_at.append(line)
        line = stored[match.stored[0]].lines[0] if match.stored else line
    lacking: list[Passage] = []  # a run of missing passages (a dropped list) is one finding
    for at, (match, line) in enumerate(zip(matches, reversed(insert_at), strict=True)):
        if match.stored and match.original:
            report.pair(joined(stored, match.stored), joined(original, match.original))
        elif match.stored:
            report.added(stored[match.stored[0]])
        else:
            lacking.append(original[match.original[0]])
            if at + 1 == len(matches) or matches[at + 1].stored:
                report.missing(lacking, line)
                lacking = []
    total = sum(len(p.words) for p in original)
    score = report.kept / total if total else float(not any(p.words for p in stored))
    report.lacking()
    report.outside_article(sum(len(p.words) for p in stored))
    findings = sorted(report.findings, key=lambda f: (f.line or 0, f.code))
    return FidelityResult(findings, score, alignment_seconds=time.perf_counter() - started)


def check_fidelity(
    stored_text: str,
    text_path: str,
    html: bytes,
    url: str,
    extractor: Extractor,
    charset: str | None = None,
) -> FidelityResult:
    """Compare the stored text with the archived page: added, altered and quoted words with
    the page's whole text, and what is missing with the article the recorded extractor finds.

    When the recorded version is not installed, the installed one (with the recorded options
    and preprocessing) draws the article's bounds, and each text-missing finding says so.
    Raises ArchiverError when the original yields no text or the extraction cannot be re-run:
    the caller reports the text as ``fidelity-unverified``.
    """
    started = time.perf_counter()
    extraction = rederive(html, url, extractor, charset, with_page_text=True)
    extracted = time.perf_counter()
    if not extraction.text.strip():
        raise ArchiverError(text_path, f"the archived original ({url}) yields no text")
    note = ""
    if extraction.extractor.version != extractor.version:
        note = (f" (the article as {extractor.name} {extraction.extractor.version} finds it; "
                f"the text was extracted with {extractor.version})")
    result = compare(stored_text, extraction.text, text_path, extraction.page_text, note, url,
                     extraction.page_parts)
    return replace(result, extraction_seconds=extracted - started)


def _words(text: str) -> list[str]:
    """The words of plain text, read as a passage's are."""
    return _TOKEN.findall(text.translate(_QUOTE_KINDS).replace('"', " ").translate(_UNSEEN))


def _grams(words: list[str]) -> set[tuple[str, ...]]:
    """Every run of _GRAM words."""
    return set(zip(*(words[k:] for k in range(_GRAM)), strict=False))


def _covered(words: list[str], grams: set[tuple[str, ...]],
             short: set[tuple[str, ...]] | frozenset[tuple[str, ...]] = frozenset()) -> bool:
    """Whether runs of words in ``grams`` (or whole short lines in ``short``) cover all but a
    few of ``words``: the same words, joined and parted otherwise."""
    covered = [False] * len(words)
    for k in range(len(words) - _GRAM + 1):
        if tuple(words[k : k + _GRAM]) in grams:
            covered[k : k + _GRAM] = [True] * _GRAM
    for k in range(len(words)):
        for size in range(2, _GRAM):
            if tuple(words[k : k + size]) in short:
                covered[k : k + size] = [True] * size
    return len(words) >= _GRAM and sum(covered) >= _ON_PAGE_SHARE * len(words)


def _lines(numbers: list[int]) -> str:
    """Line numbers for a message: the first few, and how many more."""
    more = len(numbers) - _SHOWN_DIFFERENCES
    shown = ", ".join(str(n) for n in numbers[:_SHOWN_DIFFERENCES])
    return shown + (f" and {more} more" if more > 0 else "")


def _excerpt(words: list[str]) -> str:
    """The start of a passage, short enough for a one-line message."""
    text = " ".join(words)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1].rstrip() + "…"


class _Report:
    """Collects the findings and the count of faithful words while matches are walked."""

    def __init__(self, path: str, unpaired: tuple[list[Passage], list[Passage]],
                 original: list[Passage], page_lines: list[Passage], parts: PageParts, *,
                 linked: bool, note: str, base_url: str = "") -> None:
        self.path = path
        self._base = base_url
        self.findings: list[Finding] = []
        self.kept = 0
        self._linked, self._note = linked, note
        self.outside: list[Passage] = []  # passages on the page but outside the article
        self.lost: list[tuple[int, Passage]] = []  # prose the text lacks, by the line it lacks it
        # the article's headline: its first passage of words that are not only a link (a
        # section's label may come before it: `[immunology](url)` on quantamagazine.org)
        self._headline = next((p for p in original if any(k < 0 for k in p.word_links)), None)
        self._article_words = sum(len(p.words) for p in original)
        page = [w for p in page_lines for w in p.words]
        self._page = f" {' '.join(page)} "
        self._page_grams = _grams(page)
        # a text may part the article's paragraphs otherwise (a line per sentence), so that
        # none of its passages pairs with one of the article's: the words of the text's
        # unpaired passages are not lacking, and those of the article's are not outside it
        self._text_grams = _grams([w for p in unpaired[0] for w in p.words])
        self._original, self._parts = original, parts
        self._unpaired_article = {id(p) for p in unpaired[1]}
        # the page's lines too short for a run of _GRAM words: an alt text, a credit, a byline
        self._page_short = {tuple(p.words) for p in page_lines if 1 < len(p.words) < _GRAM}
        self._page_lines = {p.key for p in page_lines}
        self._page_glued = self._page.replace(" ", "").replace("'", "")  # spacing aside
        # a quotation may be verbatim in the article or anywhere else on the page
        self._quotable = f" {' '.join(w for p in original for w in p.words)} {self._page}"
        self._glued = self._quotable.replace(" ", "")  # the same, spacing aside

    @functools.cached_property
    def _article_grams(self) -> set[tuple[str, ...]]:
        """Runs of the article's words, all of them: a passage with them is not outside it,
        even where the article's passage is paired too (a peer's text that holds the article
        twice, as the page does); and those of the page's own <article> that holds most of
        it, and of the smallest body of paragraphs that does: the page's markup draws the
        article's bounds too, where the extractor took only a part of it (wired.com)."""
        article = _grams([w for p in self._original for w in p.words])
        extent = set(article)
        for declared in self._parts.articles:
            grams = _grams(_words(declared))
            if len(article & grams) * 2 > len(article):
                extent |= grams
        # and the smallest body of paragraphs that holds most of it (dw.com's gallery sits
        # among the article's paragraphs, in no <article>)
        bodies = [grams for body in self._parts.bodies
                  if len(article & (grams := _grams(_words(body)))) * 2 > len(article)]
        return extent | min(bodies, key=len, default=set())

    @functools.cached_property
    def _page_links(self) -> str:
        """The words of every link of the page, ` | ` between links: a link of the original
        is one where the page has it (trafilatura may make the words after an image's link
        its text: snopes.com, bigbrandsystem.com)."""
        return f" {' '.join(w for link in self._parts.links for w in [*_words(link), '|'])} "

    @functools.cached_property
    def _left_out(self) -> list[set[tuple[str, ...]]]:
        """Runs of the words of each embedded post the text keeps no passage of: left out
        whole, the network's words, not the article's prose (one it keeps a passage of lacks
        what it lacks)."""
        paired = [p for p in self._original if id(p) not in self._unpaired_article]
        posts = [_grams(_words(post)) for post in self._parts.embedded]
        return [post for post in posts if not any(_covered(p.words, post) for p in paired)]

    def _add(self, code: str, message: str, line: int) -> None:
        self.findings.append(Finding(code, message, self.path, line))

    def _on_page(self, words: list[str]) -> bool:
        """Whether the words are the page's: verbatim or spacing aside (`195Shares`, a row
        of star images' alt texts), or all but a few in runs of its words, or all but a run
        of one or two words at either end that the page has too (`0 Comment` after a date
        the maker left out)."""
        if self._verbatim(words):
            return True
        for head in range(min(_GRAM, len(words))):
            for tail in range(min(_GRAM, len(words) - head)):
                if (self._verbatim(words[:head]) and self._verbatim(words[len(words) - tail:])
                        and _covered(words[head:len(words) - tail], self._page_grams,
                                     self._page_short)):
                    return True
        return False

    def _verbatim(self, words: list[str]) -> bool:
        """Whether the page has these words in this order, spacing aside (none: True)."""
        return not words or f" {' '.join(words)} " in self._page or (
            "".join(words).replace("'", "") in self._page_glued)

    def _page_passage(self, passage: Passage) -> bool:
        """Whether a passage is the page's: as a whole, or line by line (a maker that puts
        a byline, a date and a share counter on lines of one paragraph)."""
        if self._on_page(passage.words) or (len(passage.words) < _GRAM and all(
                f" {word} " in self._page for word in passage.words)):
            return True  # too short to tell from the page's labels and buttons otherwise
        by_line: dict[int, list[str]] = {}
        for word, line in zip(passage.words, passage.word_lines, strict=True):
            by_line.setdefault(line, []).append(word)
        return len(by_line) > 1 and all(self._verbatim(words) for words in by_line.values())

    def added(self, passage: Passage) -> None:
        if not passage.words:
            return  # markup alone (`* * *`, an image): no words were added
        if self._page_passage(passage):
            if not _covered(passage.words, self._article_grams):
                self.outside.append(passage)
        else:
            self._add("text-added", "nowhere on the archived page: "
                      f'"{_excerpt(passage.words)}"', passage.lines[0])
        self._check_quotes(passage, None)

    def outside_article(self, text_words: int) -> None:
        """One finding for all the passages that are the page's but not the article's, when
        they are a good part of the text: a peer's text that keeps a headline, byline or
        caption is faithful, one that is a third comments or teasers is not the article."""
        words = sum(len(p.words) for p in self.outside)
        if not self.outside or words < _OUTSIDE_SHARE * text_words:
            return
        first = self.outside[0]
        self._add("text-outside-article",
                  f"{len(self.outside)} passage(s), {words} of the text's {text_words} words, "
                  f"on the archived page but outside the article (at line "
                  f"{_lines([p.lines[0] for p in self.outside])}), the first: "
                  f'"{_excerpt(first.words)}"', first.lines[0])

    def missing(self, passages: list[Passage], line: int) -> None:
        """Note the original's passages the text lacks before ``line``; only prose counts."""
        self.lost += [(line, p) for p in passages
                      if self._prose(p) and not _covered(p.words, self._text_grams)
                      and not any(_covered(p.words, post) for post in self._left_out)]

    def _prose(self, passage: Passage) -> bool:
        """Whether a passage the text lacks is a loss: prose, not the article's furniture."""
        return (sum(link < 0 for link in passage.word_links) >= _PROSE_WORDS
                and not passage.heading and passage is not self._headline)

    def lacking(self) -> None:
        """One finding for all the prose the text lacks, with where and how much."""
        if not self.lost:
            return
        words = sum(len(p.words) for _, p in self.lost)
        share = words / self._article_words if self._article_words else 1.0
        lines = list(dict.fromkeys(n for n, _ in self.lost))  # a run lacks at one line
        self._add("text-missing",
                  f"the text lacks {len(self.lost)} passage(s) of the original article, "
                  f"{words} words ({share:.0%}), at line {_lines(lines)}; "
                  f'the first: "{_excerpt(self.lost[0][1].words)}"{self._note}',
                  self.lost[0][0])

    def pair(self, stored: Passage, original: Passage) -> None:
        ops = Levenshtein.opcodes(stored.words, original.words)
        to_stored = [-1] * len(original.words)
        changes = []
        for op in ops:
            if op.tag == "equal":
                self.kept += op.dest_end - op.dest_start
                to_stored[op.dest_start : op.dest_end] = range(op.src_start, op.src_end)
        for op in _differences(ops):
            if _glued(stored.words[op.src_start : op.src_end],
                      original.words[op.dest_start : op.dest_end]):
                self.kept += op.dest_end - op.dest_start  # `MacBooks` is `MacBook s`: spacing
            elif self._run_in(stored, op, original):
                # words the page has outside the article (a caption, a byline) run into it
                line = stored.word_lines[op.src_start]
                words = stored.words[op.src_start : op.src_end]
                self.outside.append(Passage([line], words, [line] * len(words)))
            elif not _in_quote(stored, op.src_start, op.src_end):
                changes.append(op)
        self._check_quotes(stored, (original, ops))
        self._check_links(stored, original, to_stored)
        if changes and stored.key in self._page_lines:
            # the text's passage is one of the page's blocks as it stands, paired with the
            # article's by likeness (a headline with the first line: businessinsider.com):
            # another block, not an edit; what the article's passage holds may be lacking
            if not _covered(stored.words, self._article_grams):
                self.outside.append(stored)
            if not _covered(original.words, _grams(stored.words)):
                self.missing([original], stored.word_lines[0])
            return
        marks = _marks_changed(ops, stored, original)
        if self._cut_short(changes, stored, original):
            # the passage is cut short by a run of prose, or of links alone: what it lacks is
            # lacking as a passage would be; a few words cut from its end are an edit
            start = changes[0].dest_start
            line = stored.word_lines[-1]
            self.missing([Passage([line], original.words[start:], [line] * (
                len(original.words) - start), original.word_links[start:], original.links)], line)
            changes = []
        if not changes and not marks:
            return
        described = [(op.src_start, _describe_words(op, stored, original)) for op in changes]
        described += [(at, _describe_marks(at, to, stored, original)) for at, to in marks]
        described.sort(key=lambda d: d[0])
        line = stored.word_lines[min(described[0][0], len(stored.words) - 1)]
        what = ("words and punctuation differ" if changes and marks else
                "words differ" if changes else "punctuation differs")
        self._add("text-altered", f"{what} from the original (text -> original): "
                  + _shown([d for _, d in described]), line)

    def _cut_short(self, changes: list[Opcode], stored: Passage, original: Passage) -> bool:
        """Whether the only change is the original's end lacking from the passage, and that
        end is prose (five words or more outside links) or links alone: it is then lacking
        as a passage would be. A few words cut from a sentence's end are an edit."""
        if len(changes) != 1 or changes[0].tag != "insert" or (
                changes[0].src_start != len(stored.words)):
            return False
        plain = sum(k < 0 for k in original.word_links[changes[0].dest_start:])
        return plain == 0 or plain >= _PROSE_WORDS

    def _run_in(self, stored: Passage, op: Opcode, original: Passage) -> bool:
        """Whether the stored words of a difference are the page's words run into the
        article: words the article lacks (the original's side is empty, or the same letters
        with words before or after them: `Pamela WilsonIf` for `If`, an image's alt text
        glued to the paragraph), which the page has as they stand (three words or more),
        as one of its lines (`Loading comments`, `© Regan`), or where they stand in it, with
        the text's words around them."""
        words = stored.words[op.src_start : op.src_end]
        kept = "".join(original.words[op.dest_start : op.dest_end]).replace("'", "")
        added = "".join(words).replace("'", "")
        if not words or len(added) <= len(kept) or not (
                added.startswith(kept) or added.endswith(kept)):
            return False
        around = stored.words[max(op.src_start - _GRAM + 1, 0) : op.src_end + _GRAM - 1]
        return ((op.dest_start == op.dest_end and len(words) >= _GRAM and self._on_page(words))
                or " ".join(words) in self._page_lines
                or "".join(around).replace("'", "") in self._page_glued)

    def _check_quotes(self, passage: Passage, aligned: tuple[Passage, Opcodes] | None) -> None:
        for start, end, quotation in passage.quotes:
            words = _words(quotation)
            if not words or f" {' '.join(words)} " in self._quotable or (
                    len(words) >= _GLUED_QUOTE_WORDS and "".join(words) in self._glued):
                continue
            message = f'quotation "{quotation}" is not verbatim in the original'
            if aligned is not None:
                original, ops = aligned
                inside = [op for op in ops if op.tag != "equal" and (
                    (op.src_start < end and start < op.src_end)  # changed words in the quote
                    or start < op.src_start == op.src_end < end  # words lacking inside it
                )]
                if inside:
                    message += ": " + _describe(inside, passage, original)
            self._add("quote-altered", message, passage.word_lines[start])

    def _check_links(self, stored: Passage, original: Passage, to_stored: list[int]) -> None:
        if not self._linked:
            return  # a plain-text text (no link anywhere) has not lost links: it never had any
        for link, url in enumerate(original.links):
            if url in _LOST_TARGETS:
                continue
            tokens = [t for t, k in enumerate(original.word_links) if k == link]
            mapped = [to_stored[t] for t in tokens if to_stored[t] >= 0]
            if not mapped:
                continue
            text = " ".join(original.words[t] for t in tokens)
            targets = {stored.links[k] for s in mapped if (k := stored.word_links[s]) >= 0}
            if not targets and (not self._parts.links or f" {text} " in self._page_links):
                self._add("link-lost", f'"{text}" is a link in the original ({url}); '
                          "the text has plain words", stored.word_lines[mapped[0]])
            elif len(targets) == 1 and (target := targets.pop()) not in _LOST_TARGETS and (
                    same_target(target, self._base) != same_target(url, self._base)):
                self._add("link-altered", f'"{text}" links to {target} in the text, to {url} '
                          "in the original", stored.word_lines[mapped[0]])


_LOST_TARGETS = ("", "#")  # a placeholder: link-placeholder reports it
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a CommonMark backslash escape


def same_target(url: str, base: str) -> tuple[str, str, str, str, str]:
    """A link target as a browser follows it, for comparison: Markdown's backslash escapes
    (html2text's `desc\\(py3\\)`) and character references read (as lxml reads an href, also
    `&sect` without its semicolon), joined to the page's address, scheme and host in lower
    case, no default port, percent-escapes decoded and a trailing slash dropped: ways of
    writing one address, not another address."""
    parts = urlsplit(urljoin(base, unescape(_ESCAPED.sub(r"\1", url.strip()))))
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:  # a port that is no number: compare the address as written
        return parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment
    netloc = host if port in (None, _DEFAULT_PORTS.get(parts.scheme.lower())) else (
        f"{host}:{port}")
    return (parts.scheme.lower(), netloc, unquote(parts.path).rstrip("/"), unquote(parts.query),
            unquote(parts.fragment))


def _differences(ops: Opcodes) -> list[Opcode]:
    """The changes between two aligned passages: adjacent edits joined into one."""
    merged: list[Opcode] = []
    for op in ops:
        if op.tag == "equal":
            continue
        if merged and merged[-1].src_end == op.src_start and merged[-1].dest_end == op.dest_start:
            last = merged.pop()
            op = Opcode("replace", last.src_start, op.src_end, last.dest_start, op.dest_end)
        merged.append(op)
    return merged


def _marks(gap: str) -> str | None:
    """The punctuation between two words, in order (an ellipsis as one mark); None where a
    line breaks between them: makers break lines and paragraphs their own way."""
    if "\n" in gap:
        return None
    return "".join(c for c in gap.replace("...", "\u2026") if c in _PUNCTUATION)


def _marks_changed(ops: Opcodes, stored: Passage, original: Passage) -> list[tuple[int, int]]:
    """Where punctuation between unchanged words differs (a sentence cut, a stray mark), as
    (stored word, original word) it stands before; after the last word, past the last."""
    places = []
    for op in ops:
        if op.tag != "equal":
            continue
        places += zip(range(op.src_start + 1, op.src_end), range(op.dest_start + 1, op.dest_end),
                      strict=True)
        # how the passage ends, where the text ends it with a mark (some makers drop the
        # mark after a link at a paragraph's end: resiliparse)
        if (op.src_end == len(stored.words) and op.dest_end == len(original.words)
                and _marks(stored.gaps[-1])):
            places.append((op.src_end, op.dest_end))
    return [(at, to) for at, to in places
            if None is not _marks(stored.gaps[at]) != _marks(original.gaps[to]) is not None]


def _glued(words: list[str], others: list[str]) -> bool:
    """Whether two runs of words differ only in where spaces fall (`MacBook s`, `MacBooks`)."""
    def letters(run: list[str]) -> str:
        return "".join(run).replace("'", "")

    return bool(words) and bool(others) and letters(words) == letters(others)


def _in_quote(passage: Passage, start: int, end: int) -> bool:
    """Whether stored words [start, end) (or, if empty, the gap at start) lie in a quotation."""
    if start < end:
        return all(passage.quoted[start:end])
    return 0 < start < len(passage.words) and passage.quoted[start - 1] and passage.quoted[start]


def _describe(ops: list[Opcode], stored: Passage, original: Passage) -> str:
    """Render word differences as ``a`` -> ``b``; (none) where one side has no words."""
    return _shown([_describe_words(op, stored, original) for op in ops])


def _describe_words(op: Opcode, stored: Passage, original: Passage) -> str:
    """One word difference as ``a`` -> ``b``; (none) where one side has no words."""
    def side(words: list[str]) -> str:
        return f"`{' '.join(words)}`" if words else "(none)"

    return (f"{side(stored.words[op.src_start : op.src_end])} -> "
            f"{side(original.words[op.dest_start : op.dest_end])}")


def _describe_marks(at: int, to: int, stored: Passage, original: Passage) -> str:
    """A change of punctuation before stored word ``at`` (original word ``to``; at the end of
    the passage, after its last word), shown with the words around it as written."""
    def side(passage: Passage, k: int) -> str:
        around = f"{passage.words[k - 1]}{_SPACING.sub(' ', passage.gaps[k])}"
        return f"`{around}{passage.words[k]}`" if k < len(passage.words) else f"`{around.rstrip()}`"

    return f"{side(stored, at)} -> {side(original, to)}"


def _shown(differences: list[str]) -> str:
    """The first few differences, and how many more."""
    more = len(differences) - _SHOWN_DIFFERENCES
    return "; ".join(differences[:_SHOWN_DIFFERENCES]) + (f"; and {more} more" if more > 0 else "")
