"""Passages as fidelity compares them: a text's paragraphs read into words, with the lines,
links and quotations they stand in and the punctuation between them; Markdown and HTML
markup, list markers, link syntax, images and quote style are dropped."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

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
_HEADING = re.compile(r"[ \t]*#{1,6}[ \t]")  # a Markdown heading: a passage that is no prose


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


def read_words(text: str) -> list[str]:
    """The words of plain text, read as a passage's are."""
    return _TOKEN.findall(text.translate(_QUOTE_KINDS).replace('"', " ").translate(_UNSEEN))
