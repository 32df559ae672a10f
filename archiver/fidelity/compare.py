"""Fidelity: judge a stored text against its archived original, passage by passage as
alignment pairs them, and report every difference of content (not of style) as a finding,
with the share of words kept."""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, replace
from html import unescape
from urllib.parse import unquote, urljoin, urlsplit

from rapidfuzz.distance import Levenshtein, Opcode, Opcodes

from archiver.errors import ArchiverError
from archiver.fidelity.align import align, joined
from archiver.fidelity.extract import PageParts, rederive
from archiver.fidelity.passages import Passage, parse_text, read_words
from archiver.findings import Finding
from archiver.manifest import Extractor

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
# Passages on the page but outside the article are reported when they are this share of the
# text's words or more: the text is then in good part something else (comments, teasers).
# A headline, byline or caption kept by a peer's text is a few percent of it.
_OUTSIDE_SHARE = 1 / 3


@dataclass(frozen=True)
class FidelityResult:
    """The findings, the share of the original's words faithfully present, and where time went."""

    findings: list[Finding]
    score: float
    extraction_seconds: float = 0.0
    alignment_seconds: float = 0.0


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
    # a text equal to the article has no difference to look up on the page (compare returns
    # at once), so the page's whole text is not read then: most texts are as extracted
    page_text, parts = (("", PageParts()) if stored_text == extraction.text
                        else extraction.read_page())
    result = compare(stored_text, extraction.text, text_path, page_text, note, url, parts)
    return replace(result, extraction_seconds=extracted - started)


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
    def _original_grams(self) -> set[tuple[str, ...]]:
        """Runs of the article's own words, as the extractor found it."""
        return _grams([w for p in self._original for w in p.words])

    @functools.cached_property
    def _original_glued(self) -> str:
        """The article's own words, spacing and apostrophes aside."""
        return "".join(w for p in self._original for w in p.words).replace("'", "")

    def _articles(self, words: list[str]) -> bool:
        """Whether words are the article's own: in runs of its words, or spacing aside."""
        return (_covered(words, self._original_grams)
                or "".join(words).replace("'", "") in self._original_glued)

    @functools.cached_property
    def _article_grams(self) -> set[tuple[str, ...]]:
        """Runs of the article's words, all of them: a passage with them is not outside it,
        even where the article's passage is paired too (a peer's text that holds the article
        twice, as the page does); and those of the page's own <article> that holds most of
        it, and of the smallest body of paragraphs that does: the page's markup draws the
        article's bounds too, where the extractor took only a part of it (wired.com)."""
        article = self._original_grams
        extent = set(article)
        for declared in self._parts.articles:
            grams = _grams(read_words(declared))
            if len(article & grams) * 2 > len(article):
                extent |= grams
        # and the smallest body of paragraphs that holds most of it (dw.com's gallery sits
        # among the article's paragraphs, in no <article>)
        bodies = [grams for body in self._parts.bodies
                  if len(article & (grams := _grams(read_words(body)))) * 2 > len(article)]
        return extent | min(bodies, key=len, default=set())

    @functools.cached_property
    def _page_links(self) -> str:
        """The words of every link of the page, ` | ` between links: a link of the original
        is one where the page has it (trafilatura may make the words after an image's link
        its text: snopes.com, bigbrandsystem.com)."""
        return f" {' '.join(w for link in self._parts.links for w in [*read_words(link), '|'])} "

    @functools.cached_property
    def _left_out(self) -> list[set[tuple[str, ...]]]:
        """Runs of the words of each embedded post the text keeps no passage of: left out
        whole, the network's words, not the article's prose (one it keeps a passage of lacks
        what it lacks)."""
        paired = [p for p in self._original if id(p) not in self._unpaired_article]
        posts = [_grams(read_words(post)) for post in self._parts.embedded]
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
        return ((op.dest_start == op.dest_end and len(words) >= _GRAM and self._on_page(words)
                 and not self._articles(words))
                or " ".join(words) in self._page_lines
                or "".join(around).replace("'", "") in self._page_glued)

    def _check_quotes(self, passage: Passage, aligned: tuple[Passage, Opcodes] | None) -> None:
        for start, end, quotation in passage.quotes:
            words = read_words(quotation)
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
