"""Find text damage in a stored source text: lost link targets, lost characters, mojibake,
duplicated lines, unbalanced quotations, links split across paragraphs and page chrome.

Each detector makes one pass over the lines and yields ``(line, message)``; ``scan_text``
turns those into warnings. A line of the text is a paragraph of the article (the extractor
writes one paragraph per line), so quotation checks work per line.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import metadata
from itertools import pairwise
from pathlib import Path

from archiver import __version__
from archiver.cache import Cache
from archiver.findings import Finding

_Hits = Iterator[tuple[int, str]]

# A link whose target was lost: ``[text](#)``, ``[text]()`` or a bare ``(#)``.
_PLACEHOLDER_RE = re.compile(r"\[[^\[\]\n]*\]\(\s*(?:#\s*)?\)|(?<!\])\(\s*#\s*\)")

# U+FFFD on its own, or a run of placeholder boxes ("tofu") that a font or a converter put
# where characters were lost: white and black squares, vertical rectangles, ballot box,
# object replacement character. A single box is left alone: it may be a bullet or a checkbox.
_LOST_RE = re.compile("\ufffd|[\u25a0\u25a1\u25a2\u25ae\u25af\u25fb\u25fd\u2610\u2b1c\ufffc]{2,}")

_MIN_DUPLICATE_WORDS = 4  # shorter lines (labels, "Doubtful Uyghurs") legitimately repeat
_RECURRING = 3  # a line the text has this often is a pattern of the source, not a doubling
_WORD_RE = re.compile(r"\w+")  # so that rules and table separators (| --- |) are not words

_BLANK_RE = re.compile(r"[\s>]*")  # whitespace, NBSP included, and Markdown quote markers

_LINK_RE = r"\[[^\[\]\n]*\]\(([^()\s]*)\)"  # group: the target
_TRAILING_LINK_RE = re.compile(rf"({_LINK_RE})\s*$")
_LEADING_LINK_RE = re.compile(rf"\s*{_LINK_RE}")
_LOST_TARGETS = ("", "#")

_QUOTE_MARK_RE = re.compile("[\u201c\u201d\u201e\"\u2018\u2019]")
_OPEN_DOUBLE, _CLOSE_DOUBLE, _OPEN_SINGLE, _CLOSE_SINGLE = "\u201c\u201d\u2018\u2019"
_STRAIGHT = '"'
_LOW_DOUBLE = "\u201e"  # German and other languages open with it and close with U+201C
_BEFORE_OPENING = "([\u201c\""  # besides whitespace and the start of the line
_ENDING_RE = re.compile(r"(?:s|t|d|m|ll|re|ve)(?!\w)")  # 's 't 'd 'm 'll 're 've
_QUOTE_REACH = 2  # paragraphs after an open quotation that may reopen it

# Page chrome, matched against a whole line (trimmed, case-insensitive, trailing ``.:!``
# dropped). Each entry is (group name, pattern); keep every pattern a label, never the start
# of a sentence, so that prose cannot match.
_CHROME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("skip_link", r"skip to (?:the )?(?:main )?(?:content|navigation|search)"),
    ("accessibility_links", r"accessibility links"),
    ("breaking_news", r"breaking news"),
    # Starts a block of teasers for other articles that runs until the next chrome line.
    ("related_block", r"related(?: articles| stories| content| posts| news| reading)?"
                      r"|you (?:may|might) also like|more stories"
                      r"|recommended(?: for you| reading| stories)?"),
    ("donation_appeal", r"your tax[- ]deductible (?:gift|donation) can help\b.*"
                        r"|donate(?: now| today)?|support our work"
                        r"|make a (?:gift|donation)(?: now| today)?"),
    ("taxonomy_label", r"region\s*/\s*country|country\s*/\s*region|topics?|tags|keywords"),
    ("share_prompt", r"share(?: this(?: article| story| page| post)?"
                     r"| on (?:facebook|twitter|x|linkedin|whatsapp|email))?"),
    ("newsletter_prompt", r"(?:sign up|subscribe) (?:for|to) (?:our|the) (?:\w+ )?newsletters?"
                          r"|subscribe(?: now)?"),
    ("advertisement", r"advertisement|sponsored(?: content)?"),
    ("cookie_notice", r"cookies?(?: settings| policy| preferences| notice| consent)?"
                      r"|(?:this (?:web)?site|we) uses? cookies\b.*|accept(?: all)? cookies"),
    ("print_link", r"print(?: this(?: page| article))?"),
    # An agency acronym before "Photo" must be upper case: "UN Photo", "AP Photo/A. Wong".
    ("photo_credit", r"(?-i:[A-Z]{2,}(?:[ /-][A-Z]{2,})*) photos?(?:\s*/.*)?|file photo"
                     r"|(?:photo|image|picture)(?: credits?)?\s*[:\u00a9].*|credits?\s*:.*"),
)
_CHROME_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _CHROME_PATTERNS),
                        re.IGNORECASE)
_BLOCK_STARTS = frozenset({"related_block"})


def scan_text(text: str, path: str) -> list[Finding]:
    """Every text-damage finding in ``text`` (the stored text at ``path``), sorted by line."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    findings = [Finding(code, message, path=path, line=line)
                for code, detector in _DETECTORS
                for line, message in detector(lines)]
    return sorted(findings, key=lambda f: f.line or 0)


_CACHE_KIND = "damage"  # a text's findings in the cache, by _cache_key


def scan_cached(text: str, path: str, cache: Cache | None) -> list[Finding]:
    """``scan_text``, saved in ``cache`` (if given) by all that decides it: the text, this
    module's own code, ftfy's version and ours. A warm ``verify`` need not load ftfy."""
    if cache is None or (key := _cache_key(text)) is None:
        return scan_text(text, path)
    saved = cache.get(_CACHE_KIND, key)
    if saved is not None:
        try:
            return [Finding(code, message, path=path, line=line)
                    for code, line, message in json.loads(saved)]
        except (ValueError, TypeError):  # not a saved result: computed again, and replaced
            pass
    findings = scan_text(text, path)
    cache.put(_CACHE_KIND, key, json.dumps([[f.code, f.line, f.message] for f in findings]
                                           ).encode("utf-8"))
    return findings


def _cache_key(text: str) -> str | None:
    """The key of ``text``'s findings; None if this module's code cannot be read."""
    code = _code_sha256()
    if code is None:
        return None
    basis = json.dumps([__version__, code, _ftfy_version(),
                        hashlib.sha256(text.encode("utf-8")).hexdigest()])
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


@functools.cache
def _ftfy_version() -> str:
    """ftfy's installed version, read once a process: a lookup costs 0.3 ms, once per text."""
    return metadata.version("ftfy")


@functools.cache
def _code_sha256() -> str | None:
    """The sha256 of this module's source: a detector changed, even without a new version,
    never gets another's saved findings."""
    try:
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    except OSError:
        return None


def _shorten(snippet: str, limit: int = 60) -> str:
    """``snippet`` trimmed, cut in the middle to about ``limit`` characters, in backticks."""
    snippet = snippet.strip()
    if len(snippet) > limit:
        half = (limit - 1) // 2
        snippet = f"{snippet[:half]}\u2026{snippet[-half:]}"
    return f"`{snippet}`"


def _around(line: str, start: int, end: int) -> str:
    """The span ``line[start:end]`` with some context on each side, shortened."""
    return _shorten(line[max(0, start - 25):end + 25])


def _nonblank(lines: list[str]) -> list[tuple[int, str]]:
    """The paragraphs: non-blank lines (a lone Markdown ``>`` is blank) with their numbers."""
    return [(n, line) for n, line in enumerate(lines, 1) if not _BLANK_RE.fullmatch(line)]


def _first_char(line: str) -> str:
    """The first character of a paragraph's text, after any Markdown block quote marker."""
    return line.lstrip().lstrip(">").lstrip()[:1]


def _link_placeholders(lines: list[str]) -> _Hits:
    """One hit per link whose target was lost."""
    for n, line in enumerate(lines, 1):
        for m in _PLACEHOLDER_RE.finditer(line):
            yield n, f"link without a target: {_shorten(m.group())}"


def _replacement_glyphs(lines: list[str]) -> _Hits:
    """One hit per U+FFFD and per run of placeholder boxes."""
    for n, line in enumerate(lines, 1):
        for m in _LOST_RE.finditer(line):
            glyph = m.group()
            what = "U+FFFD" if glyph == "\ufffd" else f"{len(glyph)} placeholder boxes"
            yield n, f"{what} where characters were lost: {_around(line, m.start(), m.end())}"


def _mojibake(lines: list[str]) -> _Hits:
    """One hit per line that ftfy can repair as UTF-8 decoded with a single-byte charset."""
    # fix_encoding leaves ASCII unchanged: ftfy, a tenth of a verify's start-up, is loaded
    # only for a text that has other characters and whose findings are not in the cache
    suspects = [(n, line) for n, line in enumerate(lines, 1) if not line.isascii()]
    if not suspects:
        return
    import ftfy
    from ftfy.badness import is_bad

    for n, line in suspects:
        if not is_bad(line):  # a cheap gate: fix_encoding leaves such lines unchanged too
            continue
        fixed = ftfy.fix_encoding(line)
        if fixed != line:
            pairs = zip(line, fixed, strict=False)
            at = next((i for i, (old, new) in enumerate(pairs) if old != new), len(fixed))
            yield n, (f"mojibake: {_around(line, at, at + 10)} "
                      f"reads as {_around(fixed, at, at + 5)}")


def _duplicate_lines(lines: list[str]) -> _Hits:
    """One hit per line of some length that repeats an earlier line word for word, unless
    the repeat is the source's own structure (see ``_structural``)."""
    paragraphs = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
    keys = [key for _, key in paragraphs]
    counts = Counter(keys)
    first: dict[str, int] = {}
    for k, (n, key) in enumerate(paragraphs):
        j = first.setdefault(key, k)
        if j != k and len(_WORD_RE.findall(key)) >= _MIN_DUPLICATE_WORDS and not _structural(
                keys, j, k, counts[key]):
            yield n, f"repeats line {paragraphs[j][0]}: {_shorten(key)}"


def _structural(keys: list[str], first: int, again: int, count: int) -> bool:
    """Whether paragraph ``again``, a copy of paragraph ``first``, repeats as pages repeat
    themselves: a table row (a header over each table), a line the text has three times or
    more (an interview's questions, a recipe's steps, a refrain), or a line of a recurring
    section (a neighbour, or the paragraph beyond it, repeats with it). A copy right after
    its original, or a lone copy elsewhere, is what damage makes (a caption written twice, a
    pasted paragraph)."""
    if again == first + 1:
        return False
    if keys[again].startswith("|") or count >= _RECURRING:
        return True
    # a neighbour within two paragraphs, so that one line put between (a caption, an
    # advertisement) does not hide the section
    return any((first - d >= 0 and keys[again - d] == keys[first - d])
               or (again + d < len(keys) and keys[again + d] == keys[first + d])
               for d in (1, 2))


def _split_links(lines: list[str]) -> _Hits:
    """A paragraph of prose that ends on a link, followed by one that starts with a link or
    goes on in lower case: one link broken in two by a paragraph break. Two links with
    different targets are two links, whatever stands around them."""
    paragraphs = _nonblank(lines)
    for (n, line), (next_n, next_line) in pairwise(paragraphs):
        m = _TRAILING_LINK_RE.search(line) if line.rstrip().endswith(")") else None
        # A line that is only a link is an item of a list of links, not a broken sentence.
        if m is None or not line[:m.start()].strip():
            continue
        lead = _LEADING_LINK_RE.match(next_line)
        if lead and m.group(2) not in _LOST_TARGETS and (
                lead.group(1) not in _LOST_TARGETS and lead.group(1) != m.group(2)):
            continue
        if lead or _first_char(next_line).islower():
            yield n, (f"link {_shorten(m.group(1))} continues at line {next_n}: "
                      f"{_shorten(next_line)}")


def _chrome(lines: list[str]) -> Iterator[tuple[int, str, str]]:
    """Each line that is page chrome, as (line number, pattern name, trimmed line)."""
    for n, line in enumerate(lines, 1):
        label = line.strip()
        m = _CHROME_RE.fullmatch(label.rstrip(".:!").rstrip())
        if m and m.lastgroup:
            yield n, m.lastgroup, label


def _boilerplate(lines: list[str]) -> _Hits:
    """One hit per line of page chrome; a block label (``Related articles``) is reported with
    the extent of its block: up to the next chrome line, or to the end of the text."""
    end = (len(lines) + 1, "", "")
    for (n, name, label), (stop, _, _) in pairwise([*_chrome(lines), end]):
        if name not in _BLOCK_STARTS:
            yield n, f"page chrome ({name.replace('_', ' ')}): {_shorten(label)}"
            continue
        last = stop - 1
        while last > n and not lines[last - 1].strip():
            last -= 1
        until = "the end of the text" if stop > len(lines) else f"the chrome at line {stop}"
        yield n, (f"page chrome: {_shorten(label)} block, lines {n}-{last} "
                  f"(up to {until})")


def _is_apostrophe(before: str, after: str) -> bool:
    """Whether a right single mark (U+2019) between ``before`` and ``after`` is an apostrophe:
    inside a word (China's, don't) or at the start of one ('90s, 'em)."""
    return (before.isalnum() and after.isalpha()) or before.isspace()


def _unclosed(line: str, start: int, end: int) -> str:
    """The message for a quotation opened at ``start`` and still open at ``end``."""
    return f"quotation opened with {line[start]} is never closed: {_shorten(line[start:end])}"


def _quote_marks(line: str) -> tuple[list[str], int | None, int | None]:
    """Problems with the quotation marks of one paragraph, and where a double and a single
    quotation left open at its end were opened.

    Doubles: U+201C opens and U+201D closes; U+201E opens and U+201C or U+201D closes it (as
    German writes „…“), and U+201C after a word closes any open quotation (German's closing
    mark after a straight opening one); a straight " opens after whitespace, the line's
    start or an opening bracket or mark, and closes after anything else (a lone " between
    spaces, or a closing " with nothing open, such as an inch mark, is ignored). A stray U+201D
    is reported. Singles are kept conservative: U+2018 opens unless it is an apostrophe typed
    the wrong way round (before a digit, '90s; between letters; before 's or 't); U+2019
    closes an open quotation unless it is an apostrophe,
    and a stray U+2019 is never reported, so a possessive after s (Guterres') never raises a
    finding. ASCII ' is not tracked at all: it is mostly an apostrophe.
    """
    problems: list[str] = []
    double: int | None = None
    single: int | None = None
    for m in _QUOTE_MARK_RE.finditer(line):
        at, mark = m.start(), m.group()
        before = line[at - 1] if at else " "
        after = line[at + 1] if at + 1 < len(line) else " "
        opening_context = before.isspace() or before in _BEFORE_OPENING
        if mark == _OPEN_SINGLE:
            # an apostrophe typed with the wrong mark: between letters (Hamilton U+2018 s)
            # or before a contraction's ending (isn U+2018 t, after a link: U+2018 s)
            apostrophe = (before.isalpha() and after.isalpha()) or _ENDING_RE.match(line, at + 1)
            if single is None and not after.isdigit() and not apostrophe:
                single = at
        elif mark == _CLOSE_SINGLE:
            if single is not None and not _is_apostrophe(before, after):
                single = None
        elif mark == _OPEN_DOUBLE and double is not None and line[double] == _LOW_DOUBLE:
            double = None  # „…“ closes with the mark English opens with
        elif mark == _LOW_DOUBLE or (mark == _OPEN_DOUBLE and (opening_context or double is None)
                                      ) or (mark == _STRAIGHT and opening_context
                                            and not after.isspace()):
            if double is not None:
                problems.append(_unclosed(line, double, at))
            double = at
        elif mark == _CLOSE_DOUBLE or not opening_context:
            if double is None and mark == _CLOSE_DOUBLE:
                problems.append(f"closing {mark} without an opening mark: "
                                f"{_shorten(line[max(0, at - 59):at + 1])}")
            elif double is not None and (line[double] == _STRAIGHT) != (mark == _STRAIGHT):
                problems.append(f"quotation opened with {line[double]} is closed with {mark}: "
                                f"{_shorten(line[double:at + 1])}")
            double = None
    return problems, double, single


def _unbalanced_quotes(lines: list[str]) -> _Hits:
    """Quotation marks that do not pair up within a paragraph. A quotation left open at the
    end of a paragraph is fine when a following paragraph opens again (the convention for a
    quotation that runs over several paragraphs); one paragraph may come between, as a
    caption or an advertisement does on a page."""
    paragraphs = _nonblank(lines)
    for k, (n, line) in enumerate(paragraphs):
        problems, double, single = _quote_marks(line)
        following = [_first_char(p) for _, p in paragraphs[k + 1 : k + 1 + _QUOTE_REACH]]
        for at, openers in ((double, (_OPEN_DOUBLE, _LOW_DOUBLE, _STRAIGHT)),
                            (single, (_OPEN_SINGLE,))):
            if at is not None and not any(c in openers for c in following):
                problems.append(_unclosed(line, at, len(line)))
        for problem in problems:
            yield n, problem


_DETECTORS: tuple[tuple[str, Callable[[list[str]], _Hits]], ...] = (
    ("link-placeholder", _link_placeholders),
    ("replacement-glyph", _replacement_glyphs),
    ("mojibake", _mojibake),
    ("duplicate-line", _duplicate_lines),
    ("unbalanced-quote", _unbalanced_quotes),
    ("split-link", _split_links),
    ("boilerplate", _boilerplate),
)
