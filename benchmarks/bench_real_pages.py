"""Benchmark detection and repair on real pages: damage each page's text, then verify and repair.

    python -m benchmarks.bench_real_pages [--seed 0] [--pages GLOB] [--links 6] [--json OUT]

Every page of ``../shared/real-pages/pages`` (or those matching ``--pages``) is served from
127.0.0.1 by bench_capture's page server and captured with ``archiver capture``, which gives
the archived original and archiver's own text. A seeded generator then damages that text:
lost link targets (``[text](#)``, ``[text]()``, and the bare ``text (#)``), a misquote (one
word changed inside a quotation of three words or more), a changed word outside quotations, a
dropped paragraph, an inserted line and a link sent to another of the text's targets, each on
its own line with an untouched line between them. The damaged text goes in with ``archiver
add --url``, gets its capture with ``archiver capture --pending``, and is checked with
``archiver verify --format json`` and repaired with ``archiver repair ID --apply``, all through
the command line's ``main([...])`` in process; the repaired texts are verified once more, for
link-altered findings that repair's own links would draw.

Every damage is recorded with its line, so the figures are exact: per expected finding code,
the recall (damages that drew it on their line; a dropped paragraph is looked for on the line
before or after the gap) and the findings on untouched lines (split into those the undamaged
text draws as well and those the damage caused); for repair, the lost links restored with
the URL of the undamaged text, restored with another URL, and left unresolved. Nothing
reaches beyond loopback.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fnmatch
import io
import json
import random
import re
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from archiver.cli import main as archiver
from archiver.collection import Collection
from archiver.fidelity.passages import LINK
from archiver.manifest import load_manifest
from benchmarks.bench_capture import PageHandler, PageServer

PAGES = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-pages" / "pages"

# What each damage should draw from verify, on its line.
EXPECTED = {
    "lost-target": "link-placeholder",
    "misquote": "quote-altered",
    "changed-word": "text-altered",
    "dropped-paragraph": "text-missing",
    "inserted-line": "text-added",
    "changed-target": "link-altered",
    # what a machine round trip does (seed 004): a clause reworded, a sentence's end cut and
    # punctuated again (`motivated. and`), a stray mark (`camps. , Beijing`)
    "reworded": "text-altered",
    "cut-end": "text-altered",
    "stray-punctuation": "text-altered",
}
MIN_WORDS = 8  # of a line that takes a misquote, a changed word or is dropped
FORMS = ("[{}](#)", "[{}]()", "{} (#)")  # how a lost target is written

# A Markdown link as archiver's extractor writes it; an image (``![alt](src)``) is not a link.
_LINK = re.compile(r"(?<!!)\[([^\[\]\n]+)\]\(([^()\s]+)\)")
# The target slots of a line after repair: every link, and every bare placeholder left.
_SLOT = re.compile(r"(?<!!)\[[^\[\]\n]*\]\(\s*(<[^>]*>|[^()\s]*)\s*\)|(?<!\])\(#\)")
_QUOTATION = re.compile("[\"\u201c\u201e\u00ab]([^\"\u201c\u201d\u201e\u00ab\u00bb\n]+)"
                        "[\"\u201d\u00bb]")
_APOSTROPHE = re.compile("(?<=\\w)['\u2019](?=\\w)")
_QUOTE_MARKS = re.compile("[\"'\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019]")
_WORD = re.compile(r"(?<![\w/.-])[^\W\d_]{4,}(?![\w/.-])")  # a plain word of 4 letters or more
_ANY_WORD = re.compile("[^\\W_]+(?:['\u2019][^\\W_]+)*")  # a word as verify reads it
_BETWEEN = re.compile(r"(?<=[^\W_])(,?) (?=[^\W_])")  # a space, or a comma, between two words
_SENTENCE_END = re.compile(r"(?<=[^\W\d_])\.(?=\s|$)")

# Words for the changed word and misquote, and the parts of the inserted sentence: chosen to
# be unlikely on any page, and checked against it.
SUBSTITUTES = ("marmalade", "telescope", "harbour", "violin", "glacier", "lantern", "orchard",
               "saffron", "pelican", "quarry")
SUBJECTS = ("The harbour committee", "A violin teacher in Tarnow", "The regional glacier survey",
            "Three lantern makers", "The orchard cooperative")
VERBS = ("postponed", "quietly revised", "published", "disputed", "reopened")
OBJECTS = ("its saffron census", "the pelican count", "a quarry report",
           "the marmalade tariff study", "its telescope budget")
WHENS = ("until Thursday", "last winter", "after a long delay", "without comment")


@dataclass(frozen=True)
class LostLink:
    """A link whose target the damage removed: its line and slot in the line, and the truth."""

    line: int
    slot: int
    text: str
    url: str
    form: str
    glued: bool  # a character other than a space touches the link (punctuation, quote mark)


@dataclass
class Damaged:
    """A damaged text, what was done to it (kind -> damaged-text lines where it shows), and the
    lines that were left untouched."""

    text: str
    damages: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    links: list[LostLink] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    origin: dict[int, int] = field(default_factory=dict)  # damaged line -> undamaged line


def _outside_links(line: str) -> list[tuple[int, int]]:
    """The spans of ``line`` outside Markdown links (and images), as verify reads links: a
    link's text may hold brackets (Wikipedia's ``[\\[3\\]](url)``)."""
    spans, pos = [], 0
    for m in re.finditer(rf"!?{LINK.pattern}", line):
        spans.append((pos, m.start()))
        pos = m.end()
    return [*spans, (pos, len(line))]


def _swap_word(line: str, start: int, end: int, rng: random.Random) -> str | None:
    """``line`` with one plain word inside [start, end) replaced by a substitute, or None."""
    words = [m for m in _WORD.finditer(line, start, end)]
    if not words:
        return None
    word = rng.choice(words)
    lowered = line.lower()
    new = rng.choice([s for s in SUBSTITUTES if s not in lowered])
    if word.group()[0].isupper():
        new = new.capitalize()
    return line[: word.start()] + new + line[word.end():]


def _reword(line: str, start: int, end: int, rng: random.Random, clauses: list[str]) -> str | None:
    """``line`` with a clause inside [start, end) reworded as a machine round trip does it:
    one time in two three to five words, not the span's first nor last, put in another order
    (the first last) and one of them replaced by a substitute; else a clause of three or four
    of the text's own words from another line (``clauses``) put between two words; None if
    the span is too short."""
    words = list(_ANY_WORD.finditer(line, start, end))
    if len(words) < MIN_WORDS:
        return None
    if rng.random() < 0.5 and clauses:
        at = rng.randrange(1, len(words))
        return f"{line[: words[at].start()]}{rng.choice(clauses)} {line[words[at].start():]}"
    size = rng.randint(3, 5)
    at = rng.randrange(1, len(words) - size)
    run = [w.group() for w in words[at : at + size]]
    new = run[1:] + run[:1]
    lowered = line.lower()
    new[rng.randrange(1, size)] = rng.choice([s for s in SUBSTITUTES if s not in lowered])
    return line[: words[at].start()] + " ".join(new) + line[words[at + size - 1].end():]


def _cut_end(line: str, start: int, end: int, rng: random.Random) -> str | None:
    """``line`` with a sentence that ends inside [start, end) cut by two to four words and
    ended again with a full stop; one time in two the first word cut stays after the stop
    (`motivated. and` for `motivated and strongly opposed its release.`)."""
    ends = [m for m in _SENTENCE_END.finditer(line, start, end)
            if len(_ANY_WORD.findall(line, start, m.start())) >= MIN_WORDS]
    if not ends:
        return None
    stop = rng.choice(ends)
    words = list(_ANY_WORD.finditer(line, start, stop.start()))
    cut = words[-rng.randint(2, 4)]
    stray = f" {cut.group()}" if rng.random() < 0.5 else ""
    return f"{line[: cut.start()].rstrip(' ,;:')}.{stray}{line[stop.end():]}"


def _stray_mark(line: str, start: int, end: int, rng: random.Random) -> str | None:
    """``line`` with a stray mark between two words inside [start, end): a full stop before a
    comma (`camps. , Beijing`), or a stop, comma or semicolon where a space was."""
    places = list(_BETWEEN.finditer(line, start, end))
    if not places:
        return None
    at = rng.choice(places)
    mark = ". ," if at.group(1) else rng.choice(".,;")
    return f"{line[: at.start()]}{mark} {line[at.end():]}"


def damage(text: str, page: str, rng: random.Random, links: int) -> Damaged:
    """Damage ``text`` (archiver's text of ``page``): up to ``links`` lost targets and one of
    each other kind, each on its own line with an untouched line on either side."""
    lines = text.split("\n")
    content = [n for n, line in enumerate(lines) if line.strip()]
    taken: set[int] = set()

    def free(n: int) -> bool:
        return not taken & {n - 1, n, n + 1}

    def linked(n: int) -> list[re.Match[str]]:
        return list(_LINK.finditer(lines[n]))

    # lost targets: several links, on as few lines as a random pick gives
    candidates = [(n, k) for n in content for k, m in enumerate(linked(n))
                  if m.group(1).strip() and m.group(2) not in ("#", "")]
    chosen = sorted(rng.sample(candidates, min(links, len(candidates))))
    lost: list[tuple[int, int, str, str, str, bool]] = []
    forms = [FORMS[i % len(FORMS)] for i in range(len(chosen))]
    rng.shuffle(forms)
    for n in sorted({n for n, _ in chosen}):
        slots = [k for m, k in chosen if m == n]
        out, at = "", []
        pos = 0
        glued = {}
        for k, m in enumerate(linked(n)):
            out += lines[n][pos : m.start()]
            around = lines[n][m.start() - 1 : m.start()] + lines[n][m.end() : m.end() + 1]
            glued[m.group(1), m.group(2)] = bool(around.strip())
            if k in slots:
                form = forms.pop()
                # where the placeholder's slot starts: its "[", or the "(" of a bare one
                markup = form.format(m.group(1))
                bare = form.startswith("{")
                at.append((len(out) + (len(markup) - 3 if bare else 0), m.group(1), m.group(2),
                           form))
                out += markup
            else:
                out += m.group()
            pos = m.end()
        lines[n] = out + lines[n][pos:]
        starts = [m.start() for m in _SLOT.finditer(lines[n])]
        for column, text_, url, form in at:
            lost.append((n, starts.index(column), text_, url, form, glued[text_, url]))
        taken.add(n)
    kinds: list[tuple[str, int]] = [("lost-target", n) for n in sorted({n for n, *_ in lost})]

    def pick(ok: list[int]) -> int | None:
        ok = [n for n in ok if free(n)]
        return rng.choice(ok) if ok else None

    # misquote: one word inside a quotation of 3 words or more, on a line without links;
    # it and the changed word are on lines long enough that a changed word leaves the line
    # recognisable (one changed word of a heading is a new heading, not an altered one)
    long = [n for n in content if len(lines[n].split()) >= MIN_WORDS]
    quoted = {n: [m for m in _QUOTATION.finditer(lines[n]) if len(m.group(1).split()) >= 3
                  and _WORD.search(lines[n], m.start(1), m.end(1))]
              for n in long if not linked(n)}
    if (n := pick([n for n, q in quoted.items() if q])) is not None:
        quote = rng.choice(quoted[n])
        lines[n] = _swap_word(lines[n], quote.start(1), quote.end(1), rng) or lines[n]
        taken.add(n)
        kinds.append(("misquote", n))
    # changed word: a line without quotation marks (apostrophes inside words are fine)
    plain = [n for n in long if not _QUOTE_MARKS.search(_APOSTROPHE.sub("", lines[n]))
             and any(_WORD.search(lines[n], a, b) for a, b in _outside_links(lines[n]))]
    if (n := pick(plain)) is not None:
        a, b = rng.choice([s for s in _outside_links(lines[n]) if _WORD.search(lines[n], *s)])
        lines[n] = _swap_word(lines[n], a, b, rng) or lines[n]
        taken.add(n)
        kinds.append(("changed-word", n))
    # changed target: one link sent to another address the text links to (a plausible URL)
    targets = sorted({m.group(2) for n in content for m in linked(n)} - {"#", ""})
    retargetable = [n for n in content if n not in taken and any(
        m.group(1).strip() and m.group(2) not in ("#", "") for m in linked(n))]
    if len(targets) > 1 and (n := pick(retargetable)) is not None:
        m = rng.choice([m for m in linked(n) if m.group(1).strip() and m.group(2) not in ("#", "")])
        other = rng.choice([t for t in targets if t != m.group(2)])
        lines[n] = f"{lines[n][:m.start(2)]}{other}{lines[n][m.end(2):]}"
        taken.add(n)
        kinds.append(("changed-target", n))
    # dropped paragraph: a line without links (read as verify reads them, so a teaser whose
    # link text holds brackets is a link) that the text has once
    counts = Counter(lines)
    droppable = [n for n in long if n != content[0] and not LINK.search(lines[n])
                 and counts[lines[n]] == 1]
    dropped = pick(droppable)
    if dropped is not None:
        taken.add(dropped)
    # inserted line: a sentence that is not on the page, between two untouched lines
    lowered = page.lower()
    sentence = next(s for s in (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(WHENS)}."
        for _ in range(100)) if s.lower()[:-1] not in lowered)
    gaps = [n for n in content[1:] if free(n) and free(n - 1) and n - 1 in content]
    inserted = rng.choice(gaps) if gaps else None  # the new line goes before line n
    if inserted is not None:
        taken |= {inserted - 1, inserted}
    # a machine round trip's damage, each on a line without quotation marks (words changed
    # inside a quotation are quote-altered), outside its links
    def spans(change: Callable[..., str | None], n: int) -> list[tuple[int, int]]:
        return [(a, b) for a, b in _outside_links(lines[n])
                if change(lines[n], a, b, random.Random(0)) is not None]

    def reword(line: str, start: int, end: int, rng: random.Random) -> str | None:
        # runs of the text's own words, from its other lines
        runs = [[m.group() for m in _ANY_WORD.finditer(lines[n], a, b)]
                for n in plain if lines[n] != line for a, b in _outside_links(lines[n])]
        clauses = [" ".join(run[k : k + size]) for run in runs
                   for k in range(0, len(run) - 4, 7) for size in (3, 4)]
        return _reword(line, start, end, rng, clauses)

    for kind, change in (("reworded", reword), ("cut-end", _cut_end),
                         ("stray-punctuation", _stray_mark)):
        if (n := pick([n for n in plain if n != dropped and spans(change, n)])) is not None:
            lines[n] = change(lines[n], *rng.choice(spans(change, n)), rng) or lines[n]
            taken.add(n)
            kinds.append((kind, n))

    # renumber: build the damaged text with each line's origin
    rows: list[tuple[int | None, str]] = []
    for n, line in enumerate(lines):
        if n == inserted:
            rows.append((None, sentence))
        if n != dropped:
            rows.append((n, line))
    number = {orig: i + 1 for i, (orig, _) in enumerate(rows) if orig is not None}
    result = Damaged("\n".join(line for _, line in rows))
    result.origin = {i + 1: orig + 1 for i, (orig, _) in enumerate(rows) if orig is not None}
    for kind, n in kinds:
        result.damages.append((kind, (number[n],)))
    if dropped is not None:
        after = next((number[n] for n in range(dropped + 1, len(lines)) if n in number),
                     len(rows))
        result.damages.append(("dropped-paragraph", (after - 1, after)))
    if inserted is not None:
        line = next(i + 1 for i, (orig, _) in enumerate(rows) if orig is None)
        result.damages.append(("inserted-line", (line,)))
    result.links = [LostLink(number[n], *rest) for n, *rest in lost]
    result.touched = {line for _, lines_ in result.damages for line in lines_}
    return result


def run(argv: Sequence[str]) -> tuple[int, str, str]:
    """Run ``archiver ARGV`` in process; its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = archiver(list(argv))
    return code, out.getvalue(), err.getvalue()


def must(argv: Sequence[str], ok: tuple[int, ...] = (0,)) -> str:
    """Run ``archiver ARGV``; stop the benchmark if it exits with a code not in ``ok``."""
    code, out, err = run(argv)
    if code not in ok:
        raise SystemExit(f"archiver {' '.join(argv)} exited {code}: {err.strip()[:500]}")
    return out


@contextlib.contextmanager
def served(pages: list[bytes]) -> Iterator[str]:
    """Serve ``pages`` from 127.0.0.1 (page N at /html/N); yields the server's base URL."""
    server = PageServer(("127.0.0.1", 0), PageHandler)
    server.pages = pages
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Scores:
    """The figures over every page."""

    damages: Counter[str] = field(default_factory=Counter)  # per kind of damage
    detected: Counter[str] = field(default_factory=Counter)
    false: Counter[str] = field(default_factory=Counter)  # on untouched lines, damage-caused
    inherent: Counter[str] = field(default_factory=Counter)  # also on the undamaged text
    elsewhere: Counter[str] = field(default_factory=Counter)  # other files, or no line
    repair: Counter[str] = field(default_factory=Counter)  # per outcome
    repair_forms: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    repair_glued: dict[bool, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    pages: list[dict[str, object]] = field(default_factory=list)
    repaired_altered: int = 0  # link-altered on repaired texts, the changed target aside


def text_findings(report: dict[str, object], path: str) -> tuple[list[dict[str, object]],
                                                                 list[dict[str, object]]]:
    """A document's findings on its text's lines, and the others (other files, no line)."""
    findings: list[dict[str, object]] = report["findings"]  # type: ignore[assignment]
    on_text = [f for f in findings if f.get("path") == path and f.get("line")]
    return on_text, [f for f in findings if f not in on_text]


def _unresolved(stderr: str) -> Iterator[tuple[int, str, str]]:
    """The line, markup and reason of every placeholder ``archiver repair`` left unresolved."""
    pattern = (r"^archiver: [^\n]*?:(\d+): unresolved "
               r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"): (.*)$")
    for m in re.finditer(pattern, stderr, re.MULTILINE):
        yield int(m.group(1)), ast.literal_eval(m.group(2)), m.group(3)


def browser_urls(html: bytes, url: str) -> dict[str, set[str]]:
    """The URL a browser follows for each anchor text of the page (its ``<base href>`` and
    relative paths resolved as RFC 3986 says), to tell an extractor's URL from a wrong one."""
    root = lxml.html.document_fromstring(html)
    base = root.find(".//base[@href]")
    if base is not None:
        url = urljoin(url, base.get("href", "").strip())
    found: dict[str, set[str]] = defaultdict(set)
    for anchor in root.iter("a"):
        if anchor.get("href"):
            found[" ".join(anchor.text_content().split())].add(
                urljoin(url, anchor.get("href", "").strip()))
    return found


def score_findings(name: str, damaged: Damaged, findings: list[dict[str, object]],
                   others: list[dict[str, object]], clean: set[tuple[str, int]],
                   scores: Scores) -> dict[str, object]:
    """Add one page's detection figures to ``scores``; the page's misses and false findings."""
    seen = {(f["code"], f["line"]) for f in findings}
    page: dict[str, list[object]] = {"missed": [], "false": []}
    for kind, lines in damaged.damages:
        code = EXPECTED[kind]
        scores.damages[kind] += 1
        if any((code, line) in seen for line in lines):
            scores.detected[kind] += 1
        else:
            page["missed"].append({"kind": kind, "lines": lines})
    for f in findings:
        line = int(f["line"])  # type: ignore[call-overload]
        if line in damaged.touched:
            continue
        code = str(f["code"])
        if (code, damaged.origin.get(line, -1)) in clean:
            scores.inherent[code] += 1
        else:
            scores.false[code] += 1
            page["false"].append({"code": code, "line": line, "message": f["message"]})
    for f in others:
        scores.elsewhere[str(f["code"])] += 1
    return {"page": name, **page}


def score_repairs(damaged: Damaged, repaired: str, stderr: str, browser: dict[str, set[str]],
                  scores: Scores) -> list[dict[str, object]]:
    """Add one page's repair figures to ``scores``; every link not restored exactly."""
    lines, before = repaired.split("\n"), damaged.text.split("\n")
    reasons = list(_unresolved(stderr))
    missed: list[dict[str, object]] = []
    for link in damaged.links:
        slots = [(m.group(1) or "#").strip("<>") for m in _SLOT.finditer(lines[link.line - 1])]
        target = slots[link.slot] if len(slots) == len(_SLOT.findall(before[link.line - 1])) \
            else None  # None: the repair changed the line's links, not only their targets
        if target in ("", "#"):
            outcome = "unresolved"
        elif target == link.url:
            outcome = "exact"
        elif target in (urls := browser.get(" ".join(link.text.split()), set())) \
                and link.url not in urls:
            # the URL a browser follows, where the extractor resolved the href otherwise
            # (another anchor of the same text with another URL would be wrong: the text's
            # URL is then one a browser follows too)
            outcome = "browser"
        else:
            outcome = "wrong"
        scores.repair[outcome] += 1
        scores.repair_forms[link.form][outcome] += 1
        scores.repair_glued[link.glued][outcome] += 1
        if outcome != "exact":
            markup = "(#)" if link.form.startswith("{") else link.form.format(link.text)
            # repair reports placeholders in the order of the text, as they are listed here
            why = next((r for r in reasons if r[:2] == (link.line, markup)), None)
            if why is not None:
                reasons.remove(why)
            missed.append({**asdict(link), "outcome": outcome, "got": target,
                           "reason": why and why[2]})
    return missed


def main() -> None:
    """Damage, capture, verify and repair every page; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pages", default="*", help="glob of page file names (default: all)")
    parser.add_argument("--links", type=int, default=6, help="lost targets per page (default 6)")
    parser.add_argument("--dir", type=Path, default=PAGES, help="the real pages' folder")
    parser.add_argument("--jobs", type=int, default=2, help="capture and verify workers")
    parser.add_argument("--json", type=Path, help="write every page's figures to this file")
    args = parser.parse_args()

    files = sorted(p for p in args.dir.glob("*.html") if fnmatch.fnmatch(p.name, args.pages))
    if not files:
        raise SystemExit(f"no page matches {args.pages!r} in {args.dir}")
    jobs = [f"--jobs={args.jobs}"]
    with served([p.read_bytes() for p in files]) as base, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "collection"
        at = ["--root", str(root)]
        must(["init", *at])
        urls = {f"{base}/html/{i}": p for i, p in enumerate(files)}
        must(["capture", *at, "--allow-private", *jobs, f"--per-host={args.jobs}", *urls],
             ok=(0, 1))
        collection = Collection.open(root)
        captured = {}
        for sid in collection.ids():
            manifest = load_manifest(collection.manifest_path(sid))
            if manifest.text is not None:
                captured[manifest.metadata.url.value] = manifest
        texts, damaged, browsers = {}, {}, {}
        for number, (url, page) in enumerate(urls.items()):
            if url not in captured:
                print(f"{page.name}: capture gave no text; skipped", file=sys.stderr)
                continue
            manifest = captured[url]
            assert manifest.text is not None
            text = collection.resolve(manifest.text.path).read_text("utf-8")
            rng = random.Random(f"{args.seed}:{page.name}")
            html = page.read_bytes().decode("utf-8", "replace")
            result = damage(text, html, rng, args.links)
            sid = f"damaged-{number:03d}"
            source = Path(tmp) / f"{sid}.txt"
            source.write_text(result.text, "utf-8")
            must(["add", *at, str(source), "--url", url, "--id", sid])
            texts[sid], damaged[sid] = (page.name, manifest), result
            browsers[sid] = browser_urls(page.read_bytes(), url)
        must(["capture", *at, "--pending", "--allow-private", *jobs,
              f"--per-host={args.jobs}"])
        report = json.loads(must(["verify", *at, "--format", "json", *jobs], ok=(0, 1)))
        documents = {d["id"]: d for d in report["documents"]}
        scores = Scores()
        for sid, (name, manifest) in texts.items():
            assert manifest.text is not None
            clean_findings, _ = text_findings(documents[manifest.id], manifest.text.path)
            clean = {(str(f["code"]), int(f["line"])) for f in clean_findings}  # type: ignore[arg-type]
            path = load_manifest(collection.manifest_path(sid)).text
            assert path is not None
            findings, others = text_findings(documents[sid], path.path)
            code, _, err = run(["repair", *at, sid, "--apply"])
            repaired_path = load_manifest(collection.manifest_path(sid)).text
            assert repaired_path is not None
            repaired = collection.resolve(repaired_path.path).read_text("utf-8")
            page = score_findings(name, damaged[sid], findings, others, clean, scores)
            page["repair"] = score_repairs(damaged[sid], repaired, err, browsers[sid], scores)
            page["repair_exit"] = code
            scores.pages.append(page)
        # repair's own output: its restored links must be the original's (no link-altered
        # beyond the target the damage changed, which repair leaves as it is)
        again = json.loads(must(["verify", *at, "--format", "json", *jobs], ok=(0, 1)))
        for document in again["documents"]:
            if document["id"] in damaged:
                changed = {line for kind, lines in damaged[document["id"]].damages
                           if kind == "changed-target" for line in lines}
                scores.repaired_altered += sum(
                    f["code"] == "link-altered" and f["line"] not in changed
                    for f in document["findings"])
    show(scores, len(texts), args.seed)
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "pages": scores.pages,
                                         "figures": figures(scores)}, indent=2))


def figures(scores: Scores) -> dict[str, object]:
    """The totals as plain data."""
    return {"damages": scores.damages, "detected": scores.detected,
            "false_on_untouched_lines": scores.false, "also_on_undamaged_text": scores.inherent,
            "not_on_a_text_line": scores.elsewhere, "repair": scores.repair,
            "repair_by_form": scores.repair_forms,
            "repaired_link_altered": scores.repaired_altered,
            "repair_by_neighbour": {"touching": scores.repair_glued[True],
                                    "spaced": scores.repair_glued[False]}}


def show(scores: Scores, pages: int, seed: int) -> None:
    """Print the tables."""
    console = Console()
    table = Table(title=f"detection: {pages} real pages, seed {seed}")
    for column in ("damage", "expected code", "damages", "found", "recall"):
        table.add_column(column, justify="left" if column in ("damage", "expected code")
                         else "right")
    for kind, code in EXPECTED.items():
        total = scores.damages[kind]
        recall = f"{scores.detected[kind] / total:.1%}" if total else "-"
        table.add_row(kind, code, str(total), str(scores.detected[kind]), recall)
    console.print(table)
    others = Table(title="findings on untouched lines")
    for column in ("code", "false (damage-caused)", "also on undamaged text"):
        others.add_column(column, justify="left" if column == "code" else "right")
    for code in sorted(set(EXPECTED.values()) | set(scores.false) | set(scores.inherent)):
        others.add_row(code, str(scores.false[code]), str(scores.inherent[code]))
    console.print(others)
    if scores.elsewhere:
        console.print("not on a text line: " + ", ".join(
            f"{c} {n}" for c, n in sorted(scores.elsewhere.items())))
    repair = Table(title="repair of lost link targets")
    outcomes = ("exact", "browser", "wrong", "unresolved")
    for column in ("links", "count", *outcomes):
        repair.add_column(column, justify="left" if column == "links" else "right")
    rows = [(escape(form.format("text")), counts)
            for form, counts in sorted(scores.repair_forms.items())]
    rows += [("touching punctuation" if glued else "between spaces", counts)
             for glued, counts in sorted(scores.repair_glued.items())]
    for label, counts in [*rows, ("all", scores.repair)]:
        total = sum(counts.values())
        repair.add_row(label, str(total), *(
            f"{counts[o]} ({counts[o] / total:.0%})" if total else "0" for o in outcomes))
    console.print(repair)
    console.print(f"link-altered on the repaired texts (the damage's changed target aside): "
                  f"{scores.repaired_altered}")
    for page in scores.pages:
        for miss in page["missed"]:  # type: ignore[attr-defined]
            console.print(f"missed: {page['page']}:{miss['lines'][0]} {miss['kind']}",
                          markup=False, highlight=False)
        for false in page["false"]:  # type: ignore[attr-defined]
            console.print(f"false: {page['page']}:{false['line']} {false['code']}: "
                          f"{false['message'][:90]}", markup=False, highlight=False)
    reasons = Counter(re.sub(r'"[^"]*"', '"..."', link["reason"]) for page in scores.pages
                      for link in page["repair"] if link["reason"])  # type: ignore[attr-defined]
    for reason, count in reasons.most_common(5):
        console.print(f"unresolved {count}x: {reason}", markup=False, highlight=False)


if __name__ == "__main__":
    main()
