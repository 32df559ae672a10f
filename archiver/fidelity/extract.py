"""Turn an archived HTML page into Markdown text and metadata, recording how, so it can be redone.

Before trafilatura runs, whitespace in the page is collapsed as a browser renders it (outside
``<pre>`` and ``<textarea>``): otherwise the page's source line breaks survive inside paragraphs
and a paragraph of the text is no longer one line of it. That step is recorded with the
extractor (``preprocessing``), like trafilatura's version and options.

The page is parsed once; the text pass, the metadata pass and then the page-text pass share the
tree (trafilatura copies a tree before it cuts it up; the page-text pass cuts it up last).
"""

from __future__ import annotations

import codecs
import copy
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit, uses_netloc, uses_relative

import lxml.html
import trafilatura
from lxml import etree

from archiver.errors import ArchiverError
from archiver.fidelity.htmlparse import load_html
from archiver.manifest import Extractor

EXTRACTOR_NAME = "trafilatura"

# The exact keyword arguments of ``trafilatura.extract``; recorded in the manifest with the
# version so a text can be re-derived. Everything that changes the output is pinned here
# rather than left to a default that a later release might change. ``fast`` skips the
# fallback extractors (readability, justext) that trafilatura otherwise also runs and compares
# on every page: 10% to 35% of the extraction time on the benchmark pages, for text that
# differs only on pages its own heuristics get wrong.
OPTIONS: dict[str, Any] = {
    "output_format": "markdown",
    "include_links": True,
    "include_formatting": False,
    "include_images": False,
    "include_tables": True,
    "include_comments": False,
    "favor_precision": False,
    "favor_recall": False,
    "fast": True,
    "deduplicate": False,
}

# Browsers look for the charset declaration in the first 1024 bytes; pages in the wild put it
# later, so look a little further.
_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_HTML_WHITESPACE = " \t\n\r\f"  # U+00A0 is content, not layout
# Elements whose text is never rendered and never reaches trafilatura's text: its three
# extractors (own, readability, justext) all delete <script> and <style> first. Their text is
# most of a real page's bytes (inline CSS, framework state), so collapsing it was most of the
# cost. JSON-LD is the exception: trafilatura may take a page's text from its articleBody.
_UNRENDERED = frozenset({"script", "style"})
_JSON_LD = "application/ld+json"
# htmldate's extensive search regex-scans the whole serialised page for any date-like string
# when the page declares none (80-150 ms on a 250 KB page, more than the text itself), and such
# a guess from free text is weak evidence for a "published" claim. The fast search still reads
# the URL, <meta>, JSON-LD, <time> and <abbr> elements and timestamp patterns.
_EXTENSIVE_DATE_SEARCH = False

CharsetSource = Literal["given", "meta", "default"]


@dataclass(frozen=True)
class PageMetadata:
    """What trafilatura read from the page's metadata; every field may be missing."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    sitename: str | None = None
    canonical_url: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class PageParts:
    """Parts of a page's text its markup sets apart, each as page_text reads it: what the
    comparison needs besides the page's text to tell a maker's bounds from a loss."""

    links: tuple[str, ...] = ()  # every link's text
    articles: tuple[str, ...] = ()  # each outermost <article>, without the articles in it
    bodies: tuple[str, ...] = ()  # each element with paragraphs side by side: a text's body
    embedded: tuple[str, ...] = ()  # each post embedded from a social network


def _page_not_read() -> tuple[str, PageParts]:
    """An extraction's page text when it was not asked for: none."""
    return "", PageParts()


@dataclass(frozen=True)
class Extraction:
    """A page's text (Markdown, links kept; ``""`` when nothing was found) and how it was made."""

    text: str
    metadata: PageMetadata
    extractor: Extractor
    charset: str
    charset_source: CharsetSource
    # reads the page's whole text and parts from the parse, once, when first asked for (a
    # module function by default, so that an extraction passes between processes)
    read_page: Callable[[], tuple[str, PageParts]] = field(
        default=_page_not_read, repr=False, compare=False)

    @property
    def page_text(self) -> str:
        """The page's whole text (page_text), when it was asked for; else ``""``."""
        return self.read_page()[0]

    @property
    def page_parts(self) -> PageParts:
        """The parts of the page's text its markup sets apart, when it was asked for."""
        return self.read_page()[1]


def installed_extractor(options: dict[str, Any] | None = None) -> Extractor:
    """The extractor this installation runs, with ``options`` (default: the pinned OPTIONS)
    and this tool's preprocessing."""
    return Extractor(
        name=EXTRACTOR_NAME,
        version=trafilatura.__version__,
        options=dict(OPTIONS if options is None else options),
        preprocessing=list(PREPROCESSING),
    )


def decode_html(html: bytes, charset: str | None = None) -> tuple[str, str, CharsetSource]:
    """Decode a page: the given charset, else its meta charset, else UTF-8; undecodable bytes
    become U+FFFD. Returns (text, charset used, where the charset came from)."""
    sniffed = _META_CHARSET.search(html[:_SNIFF_BYTES])
    candidates: list[tuple[str | None, CharsetSource]] = [
        (charset, "given"),
        (sniffed.group(1).decode("ascii") if sniffed else None, "meta"),
    ]
    for name, source in candidates:
        if name and _known_codec(name):
            return html.decode(name, errors="replace"), name.lower(), source
    return html.decode("utf-8", errors="replace"), "utf-8", "default"


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def extract(html: bytes, url: str, *, charset: str | None = None) -> Extraction:
    """Extract the article text and metadata of ``html`` (fetched from ``url``)."""
    return _run(html, url, installed_extractor(), charset, metadata=True)


def extract_with(
    html: bytes, url: str, extractor: Extractor, charset: str | None = None
) -> Extraction:
    """Re-run a recorded extraction for its text (metadata is not read: no caller needs it);
    raise ArchiverError if that extractor is not installed."""
    current = installed_extractor()
    if (extractor.name, extractor.version) != (current.name, current.version):
        raise ArchiverError(
            url,
            f"text was extracted with {extractor.name} {extractor.version}, "
            f"but {current.name} {current.version} is installed",
        )
    return rederive(html, url, extractor, charset)


def rederive(html: bytes, url: str, extractor: Extractor, charset: str | None = None, *,
             with_page_text: bool = False) -> Extraction:
    """Re-run a recorded extraction with the installed extractor of that name, whatever its
    version, with the recorded options and preprocessing; the result names the version run
    and, ``with_page_text``, holds the page's whole text, read from the same parse."""
    current = installed_extractor()
    if extractor.name != current.name:
        raise ArchiverError(url, f"text was extracted with {extractor.name}, which this "
                                 f"archiver cannot run")
    extractor = extractor.model_copy(update={"version": current.version})
    unknown = [step for step in extractor.preprocessing if step not in _STEPS]
    if unknown:
        raise ArchiverError(url, f"text was extracted after preprocessing {unknown}, "
                                 f"which this archiver does not know")
    return _run(html, url, extractor, charset, metadata=False, whole=with_page_text)


def _run(html: bytes, url: str, extractor: Extractor, charset: str | None, *,
         metadata: bool, whole: bool = False) -> Extraction:
    page, used, source = decode_html(html, charset)
    # Parse once; trafilatura copies a tree it is given, so the metadata pass sees it intact.
    tree = parse_page(page, html, used)
    if tree is None:
        return Extraction("", PageMetadata(), extractor, used, source)
    empty = _empty_links(tree) if whole else []
    for step in extractor.preprocessing:
        _STEPS[step](tree, url)
    try:
        text = trafilatura.extract(tree, url=url, **extractor.options)
    except (TypeError, ValueError, AttributeError) as exc:
        # The options come from a manifest: one this trafilatura does not know, or a value it
        # cannot use (``output_format: "bogus"`` fails inside it with AttributeError), is
        # unusable input, never a traceback. Only this call is guarded.
        raise ArchiverError(url, f"cannot re-run extractor options {extractor.options}: "
                                 f"{type(exc).__name__}: {exc}") from None
    page_metadata = _metadata(tree, url) if metadata else PageMetadata()
    if not whole:
        return Extraction(text or "", page_metadata, extractor, used, source)
    # The page's text is read last, from the same tree, which trafilatura copied and left
    # as it was (rather than from a copy made before the steps: a quarter of a parse). The
    # steps change nothing it reads but the links whose href was only whitespace, which
    # resolving empties: they are still links (told from those empty before the steps). The
    # pass cuts the tree up, so it runs once, and only if asked for: a comparison of a text
    # equal to the article reads nothing else.
    read = functools.cache(lambda: _read_page(tree, _emptied(tree, empty)))
    return Extraction(text or "", page_metadata, extractor, used, source, read)


def parse_page(page: str, html: bytes, used: str) -> Any:
    """The tree trafilatura parses ``page`` into (None if it finds none), told that ``page``
    was decoded from the UTF-8 bytes ``html`` when it was (``used``: the charset it was
    decoded with)."""
    if not page.strip():
        return None
    return load_html(page, html if codecs.lookup(used).name == "utf-8" else None)


def _empty_links(tree: Any) -> list[Any]:
    """The links of ``tree`` whose href is empty (lxml's iter, in C, finds the links: no
    slower than an XPath over the whole tree, often faster)."""
    return [a for a in tree.iter("a") if a.get("href") == ""]


def _emptied(tree: Any, empty: list[Any]) -> list[Any]:
    """The links of ``tree`` whose href is empty now but was not (``empty``: those whose href
    was empty before): the steps empty only an href of whitespace (absolute_link). The
    elements of ``empty`` are held, so lxml gives the same objects for them again."""
    before = set(empty)
    return [a for a in _empty_links(tree) if a not in before]


def _preformatted(tree: Any) -> set[Any]:
    """The elements whose whitespace is kept: each <pre> and <textarea>, and every element in
    a <pre> (found by lxml's iter, a sixth of an XPath's time; most pages have none)."""
    kept = set()
    for element in tree.iter("pre", "textarea"):
        kept.add(element)
        if element.tag == "pre":
            kept.update(element.iterdescendants(etree.Element))
    return kept


def _collapse_whitespace(tree: Any) -> None:
    """Collapse runs of whitespace in text as rendering does, except where it is preformatted."""
    kept = _preformatted(tree)
    # the cheap tests first: most elements have no text to change, and most pages nothing
    # preformatted, so no parent is looked up; a script's or style's text (most of a page's
    # bytes) is not even read
    for element in tree.iter(etree.Element):
        if not (element.tag in _UNRENDERED and element.get("type") != _JSON_LD):
            text = element.text
            if text and _collapsible(text) and (not kept or element not in kept):
                _put(element, "text", _collapsed(text))
        tail = element.tail
        if tail and _collapsible(tail) and (not kept or element.getparent() not in kept):
            _put(element, "tail", _collapsed(tail))


# The characters lxml refuses to write into a tree, though its HTML parser reads them from a
# page (U+000B, U+000C inside <pre>): a form feed is whitespace, which the page's text
# collapses anyway; the others are shown as nothing, and trafilatura's text drops them too.
_UNWRITABLE = {c: None for c in (*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20))} | {0x0C: " "}


def _put(element: Any, where: str, value: str) -> None:
    """Set ``element``'s text or tail (``where``) to ``value``, without the characters lxml
    refuses (a page that holds none, nearly every page, is written as it is)."""
    try:
        setattr(element, where, value)
    except ValueError:
        setattr(element, where, value.translate(_UNWRITABLE))


def _collapsible(text: str) -> bool:
    """Whether collapsing ``text``'s whitespace changes it: whether it holds a run of two
    spaces or any HTML whitespace but the space (str's search: a regular expression that
    finds the same reads long texts, such as inline scripts, several times slower)."""
    return "\n" in text or "  " in text or "\t" in text or "\r" in text or "\f" in text


def _collapsed(text: str) -> str:
    """``text`` with each run of HTML whitespace one space; most texts that need it are only
    whitespace (a page's indentation between tags)."""
    return _spaced(text) if text.strip(_HTML_WHITESPACE) else " "


def _spaced(text: str) -> str:
    """``text`` with each run of HTML whitespace one space, as replacing ``[ \\t\\n\\r\\f]+``
    by a space gives it: by str's replace, twice as fast on a page's whole text."""
    for char in "\n\t\r\f":
        if char in text:
            text = text.replace(char, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def document_base(tree: Any, url: str) -> str:
    """The URL the page's relative links resolve against, as a browser resolves them: its
    first ``<base href>`` joined to the page's own URL, else that URL."""
    base = next((href for b in tree.iter("base") if (href := b.get("href")) is not None), None)
    try:
        return urljoin(url, base.strip()) if base is not None else url
    except ValueError:  # a <base href> no URL parser accepts: browsers ignore it too
        return url


def absolute_link(base: str, href: str) -> str:
    """``href`` resolved against ``base`` as a browser follows it; a lost target (empty or a
    bare ``#``) and an href no URL parser accepts stay as written."""
    target = href.strip()
    if target in ("", "#"):
        return target
    try:
        joined = _joined_plainly(base, target)
        return urljoin(base, target) if joined is None else joined
    except ValueError:
        return target


# What urljoin returns, told without its parsing for the links where it is plain to see (96 in
# 100 of the real pages'), as urllib.parse reads a URL. Returned as given: a URL with a
# scheme other than the base's, or in the base's scheme, a plain absolute URL, which urljoin
# parses and puts back together unchanged. The base's scheme and host put before it: a plain
# path from the root ("/a/b?q"). Plain: a host without brackets (no IPv6 checks), a path
# without ";" (urljoin drops an empty one's), a query and a fragment that are not empty (it
# drops those), no whitespace or control character (it removes some), no dot segment (which it
# removes from a path from the root).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*(?=:)")
_PLAIN_QUERY = r"(?:\?[^\x00-\x20#]+)?(?:#[^\x00-\x20]+)?"  # and fragment
_PLAIN_REST = re.compile(r"://[A-Za-z0-9._~%!$&'()*+,=:@-]+(?:/[^\x00-\x20;?#]*)?"
                         + _PLAIN_QUERY)
_PLAIN_FROM_ROOT = re.compile(r"/(?!/)[^\x00-\x20;?#]*" + _PLAIN_QUERY)
_REMOVED = re.compile("[\t\n\r]")  # what urllib.parse takes out of a URL anywhere


def _joined_plainly(base: str, target: str) -> str | None:
    """``urljoin(base, target)`` when it is plain to see, else None (which says nothing);
    ValueError for a base no URL parser accepts, as urljoin raises."""
    if _REMOVED.search(target) or "/." in target:
        return None
    scheme = _SCHEME.match(target)
    if scheme is None:
        if not target.startswith("/") or _PLAIN_FROM_ROOT.fullmatch(target) is None:
            return None
        parts = urlsplit(base)
        plain = (parts.scheme and parts.netloc and parts.scheme in uses_relative
                 and parts.scheme in uses_netloc)
        return f"{parts.scheme}://{parts.netloc}{target}" if plain else None
    name = scheme[0].lower()
    if name != urlsplit(base).scheme or name not in uses_relative:
        return target
    plain = (name == scheme[0] and name in uses_netloc
             and _PLAIN_REST.fullmatch(target, scheme.end()) is not None)
    return target if plain else None


def _absolute_links(tree: Any, url: str) -> None:
    """Resolve every link as a browser does. trafilatura joins a relative href to the page's
    scheme and host only, ignoring ``<base href>`` and the page's folder: its text would hold
    URLs the page never linked to."""
    base = document_base(tree, url)
    resolved: dict[str, str] = {}  # a page links to many URLs more than once
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if href is None:
            continue
        target = resolved.get(href)
        if target is None:
            target = resolved[href] = absolute_link(base, href)
        if target != href:  # an unchanged value is not written again
            try:  # not lxml.html's set, in Python
                etree.ElementBase.set(anchor, "href", target)
            except ValueError:  # a character lxml refuses (see _put)
                etree.ElementBase.set(anchor, "href", target.translate(_UNWRITABLE))


# What this tool does to a parsed page before trafilatura sees it, by the step names that go
# into the manifest: a text is re-derived with the steps its manifest names (a page's URL is
# the second argument), so texts made before a step existed re-derive as they were made.
_STEPS: dict[str, Callable[[Any, str], None]] = {
    "collapse-whitespace": lambda tree, _url: _collapse_whitespace(tree),
    "absolute-links": _absolute_links,
}
PREPROCESSING = ["collapse-whitespace", "absolute-links"]


# Elements that start a new line of the page's text, so words of two blocks never meet.
_BLOCKS = (
    "p", "div", "li", "ul", "ol", "dl", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "figure", "figcaption", "caption", "table", "tr", "td", "th", "pre",
    "section", "article", "aside", "header", "footer", "nav", "main", "summary", "details",
    "address", "br", "hr", "form", "label", "button", "option",
)
# <meta> whose content a reader sees as the page's headline or summary (in previews).
_SHOWN_META = re.compile(r"(?:og|twitter):(?:title|description)|description|title", re.I)


def page_text(html: bytes, charset: str | None = None) -> str:
    """Every text of the page a reader can see, one block a line, with no extractor: its title
    and summary, body, image alt texts and JSON-LD. Deterministic (lxml only), so a text can
    be judged against it whatever extractor made the text, and in any year."""
    page, _, _ = decode_html(html, charset)
    if not page.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(page)
    except etree.ParserError:  # nothing lxml can read as a document
        return ""
    return _read_page(root)[0]


# Posts a page embeds from a social network, by the markup each network's embed code writes:
# the network's words and its author's, not the article's (a text may leave them out whole).
_EMBEDDED = etree.XPath(
    "//blockquote[contains(concat(' ', normalize-space(@class), ' '), ' twitter-tweet ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' twitter-video ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' instagram-media ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' tiktok-embed ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' reddit-card ')]"
)


# An element holds a body of text when this many paragraphs are its children.
_BODY_PARAGRAPHS = 3
# Those elements, in document order, found by libxml2 rather than by visiting each element
# from Python (a tenth of a real page's page-text pass).
_BODIES = etree.XPath("//*[count(p) >= $n]")


def _read_page(root: Any, linked: list[Any] | None = None) -> tuple[str, PageParts]:
    """page_text of a parsed page, and its parts; the tree is changed (its unshown parts
    cut out). The elements in ``linked`` are links whatever their href now says."""
    parts = [e.text_content() for e in root.iter("title")]
    parts += [m.get("content", "") for m in root.iter("meta")
              if _SHOWN_META.fullmatch(m.get("property") or m.get("name") or "")]
    parts += [e.get("alt", "") for e in root.iter("img")]
    parts += [e.text or "" for e in root.iter("script") if e.get("type") == _JSON_LD]
    etree.strip_elements(root, "script", "style", "template", "head", etree.Comment,
                         with_tail=False)
    # an image's alt text also stands where the image is, as a browser shows it in its place
    # (a rating's five star images read `1 Stern2 Sterne…` in text extractors' output)
    for image in root.iter("img"):
        if image.get("alt"):
            _put(image, "tail", image.get("alt", "") + (image.tail or ""))
    # blocks are parted by U+2029 (a paragraph separator), which the page's own wrapping,
    # collapsed as a browser does, is not
    for element in root.iter(*_BLOCKS):
        _put(element, "text", "\u2029" + (element.text or ""))
        _put(element, "tail", "\u2029" + (element.tail or ""))
    parts.append(root.text_content())
    outermost = [a for a in root.iter("article") if next(a.iterancestors("article"), None) is None]
    return _shown(parts), PageParts(
        links=tuple(_shown([a.text_content()]) for a in root.iter("a")
                    if a.get("href") or (linked and a in linked)),
        articles=tuple(_shown([_without_articles(a).text_content()]) for a in outermost),
        embedded=tuple(_shown([e.text_content()]) for e in _EMBEDDED(root)),
        bodies=tuple(_shown([e.text_content()]) for e in _BODIES(root, n=_BODY_PARAGRAPHS)),
    )


def _shown(texts: list[str]) -> str:
    """Texts of the marked tree as lines: one block a line, spacing collapsed."""
    if len(texts) == 1 and "\u2029" not in texts[0]:  # one line (a link's text): the same, sooner
        return _spaced(texts[0]).strip()
    # whitespace runs end at U+2029, which is not HTML whitespace: the texts are spaced at once
    lines = _spaced("\u2029".join(texts)).split("\u2029")
    return "\n".join(filter(None, map(str.strip, lines)))


def _without_articles(article: Any) -> Any:
    """A copy of an <article> without the articles nested in it: HTML's markup for a blog
    entry's comments, related to the entry but not part of it."""
    if next(article.iterdescendants("article"), None) is None:
        return article
    article = copy.deepcopy(article)
    etree.strip_elements(article, "article", with_tail=False)  # the text after one stays
    return article


_HOST = re.compile(r"https?://(?:www\.|w[0-9]+\.)?([^/]+)")  # as trafilatura reads a host


def _named_by_page(sitename: str | None, urls: tuple[str | None, str]) -> str | None:
    """The site's name when the page names it (Open Graph, JSON-LD, its title): trafilatura
    falls back to the URL's host name, which says nothing a URL does not, so it is dropped."""
    hosts = {m[1] for u in urls if u and (m := _HOST.match(u))}
    return sitename if sitename and sitename not in hosts else None


def _metadata(tree: Any, url: str) -> PageMetadata:
    """The page's metadata as trafilatura reads it, with the fast date search."""
    doc = trafilatura.extract_metadata(tree, default_url=url, extensive=_EXTENSIVE_DATE_SEARCH)
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return PageMetadata(
        title=doc.title or None,
        authors=authors,
        date=doc.date or None,
        sitename=_named_by_page(doc.sitename, (doc.url, url)),
        canonical_url=doc.url or None,
        language=doc.language or tree.get("lang") or None,
    )
