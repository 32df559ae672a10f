"""The preprocessing steps, made faster, change a page exactly as they did before: each step's
previous code is kept here as it was written, and both run on the 60 real pages, on pages
written to catch the edge cases, and on generated HTML; the trees must serialise to the same
bytes, and the whole re-derivation must give the same text, page text and parts. A step that
changed a tree would change the text re-derived from a capture, and so the findings on every
collection made before."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import trafilatura
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from archiver.fidelity import extract
from archiver.fidelity.extract import (
    _COLLAPSIBLE,
    _HTML_SPACE,
    _JSON_LD,
    _PREFORMATTED,
    _UNRENDERED,
    absolute_link,
    document_base,
)

REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages"


def collapse_whitespace_before(tree: Any) -> None:
    """``_collapse_whitespace`` as it was (archiver 0.1.0, before it was made faster)."""
    kept = set(_PREFORMATTED(tree))
    for element in tree.iter(etree.Element):
        text, tail = element.text, element.tail
        if (text and _COLLAPSIBLE.search(text) and (not kept or element not in kept)
                and not (element.tag in _UNRENDERED and element.get("type") != _JSON_LD)):
            element.text = _HTML_SPACE.sub(" ", text)
        if tail and _COLLAPSIBLE.search(tail) and (not kept or element.getparent() not in kept):
            element.tail = _HTML_SPACE.sub(" ", tail)


def absolute_links_before(tree: Any, url: str) -> None:
    """``_absolute_links`` as it was."""
    base = document_base(tree, url)
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if href is not None:
            anchor.set("href", absolute_link(base, href))


STEPS_BEFORE = {"collapse-whitespace": lambda tree, _url: collapse_whitespace_before(tree),
                "absolute-links": absolute_links_before}


def trees(html: str) -> list[Any]:
    """The page parsed as verify parses it (trafilatura: no comments, no processing
    instructions) and as lxml.html does (both kept)."""
    parsed = [lxml.html.document_fromstring(html)]
    if (tree := trafilatura.load_html(html)) is not None:
        parsed.append(tree)
    return parsed


def assert_steps_unchanged(html: str, url: str) -> None:
    """Each step, and both in turn, leave the same tree as the code before them."""
    for tree in trees(html):
        before, now = copy.deepcopy(tree), copy.deepcopy(tree)
        for name in extract.PREPROCESSING:
            STEPS_BEFORE[name](before, url)
            extract._STEPS[name](now, url)
            assert etree.tostring(now, encoding="unicode") == etree.tostring(
                before, encoding="unicode"), name


def real_pages() -> list[tuple[str, str]]:
    sources = json.loads((REAL_PAGES / "sources.json").read_text(encoding="utf-8"))
    return [(name, meta["original_url"]) for name, meta in sorted(sources.items())]


def test_all_real_pages_are_compared() -> None:
    assert len(real_pages()) == 60


@pytest.mark.parametrize(("name", "url"), real_pages())
def test_the_steps_change_a_real_page_as_before(name: str, url: str) -> None:
    html = extract.decode_html((REAL_PAGES / "pages" / name).read_bytes())[0]
    assert_steps_unchanged(html, url)
    # and the whole re-derivation, with the steps before, gives the same text and page text
    recorded = extract.installed_extractor()
    now = extract.rederive(html.encode(), url, recorded, "utf-8", with_page_text=True)
    steps = extract._STEPS
    try:
        extract._STEPS = STEPS_BEFORE
        before = extract.rederive(html.encode(), url, recorded, "utf-8", with_page_text=True)
    finally:
        extract._STEPS = steps
    assert (now.text, now.page_text, now.page_parts) == (
        before.text, before.page_text, before.page_parts)
    assert now.text  # a page with an article: the comparison compared something


# Pages written for the cases the faster code must get right: whitespace of every kind,
# preformatted text and what is nested in it, scripts and styles of every type, JSON-LD,
# comments and processing instructions (whose tails were never collapsed), links repeated,
# empty, relative to a <base>, and hrefs no URL parser accepts.
EDGE_PAGES = [
    "<html><body><p>a \t\n\r&#12; b</p>\n\n  <p>  c  </p>\t</body></html>",
    "<html><body><pre>  keep\n\n  this <b>  and\n  this</b>\n</pre>  after\n pre "
    "<textarea>  as\n typed </textarea>\n<div><pre><i>\n x\n</i>\n</pre></div></body></html>",
    "<html><head><script>var a =\n  1;</script><style>p {\n  color: red }</style>"
    "<script type='application/ld+json'>{\"articleBody\": \"one\n  two\"}</script>"
    "<script type='APPLICATION/LD+JSON'>{\n}</script><style type='application/ld+json'>x\n y"
    "</style></head><body><script>\n</script>\n tail\n</body></html>",
    "<html><body><div>x<!-- a\n  comment -->\n  after comment<?pi x\n y?>\n  after pi"
    "</div></body></html>",
    "<html><head><base href='/docs/'></head><body><a href='a.html'>1</a><a href='a.html'>2</a>"
    "<a href=' #'>3</a><a href=''>4</a><a href='   '>5</a><a href='http://[::1'>6</a>"
    "<a href='https://example.org/x?'>7</a><a>8</a><a href='HTTP://Example.ORG/y'>9</a>"
    "</body></html>",
    "<html><head><base href='http://[bad'></head><body><a href='x'>x</a></body></html>",
]


@pytest.mark.parametrize("html", EDGE_PAGES)
def test_the_steps_change_an_edge_case_as_before(html: str) -> None:
    assert_steps_unchanged(html, "https://example.org/news/story.html")


SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "&#12;", "\u00a0", "&nbsp;", "\u2029"])
WORDS = st.sampled_from(["a", "word", "&amp;", "<", "é", "x y"])
TEXT = st.lists(st.one_of(SPACES, WORDS), max_size=8).map("".join)
TAGS = st.sampled_from(["div", "p", "span", "b", "pre", "textarea", "a", "code", "article",
                        "li", "td", "blockquote", "title"])
HREFS = st.sampled_from(["", "#", " ", "/x", "x.html", "x.html", "../y", "?q", "#frag",
                         "https://other.example/z", "http://[::1", "mailto:a@b", " /s p "])


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> str:
    """Generated markup: nested blocks, preformatted text, scripts, styles, comments, PIs."""
    pieces = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "element", "script", "style", "comment", "pi"]
                                    if depth < 3 else ["text", "comment"]))
        if kind == "text":
            pieces.append(draw(TEXT))
        elif kind == "element":
            tag = draw(TAGS)
            attrs = f" href='{draw(HREFS)}'" if tag == "a" and draw(st.booleans()) else ""
            pieces.append(f"<{tag}{attrs}>{draw(fragments(depth + 1))}</{tag}>{draw(TEXT)}")
        elif kind in ("script", "style"):
            kind_type = draw(st.sampled_from(["", " type='application/ld+json'",
                                              " type='text/javascript'", " type=''"]))
            body = draw(TEXT).replace("<", "")
            pieces.append(f"<{kind}{kind_type}>{body}</{kind}>{draw(TEXT)}")
        elif kind == "comment":
            pieces.append(f"<!--{draw(TEXT).replace('-', '')}-->{draw(TEXT)}")
        else:
            pieces.append(f"<?pi {draw(TEXT).replace('>', '')}?>{draw(TEXT)}")
    return "".join(pieces)


@given(head=fragments(), body=fragments(), base=st.sampled_from(["", "<base href='/d/'>"]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_steps_change_generated_html_as_before(head: str, body: str, base: str) -> None:
    assert_steps_unchanged(f"<html><head>{base}<title>t</title></head>"
                           f"<body>{head}<div>{body}</div></body></html>",
                           "https://example.org/news/story.html")


def lxml_html_class(node: Any) -> type:
    """The class lxml.html's own lookup (HtmlElementClassLookup.lookup) gives ``node``."""
    if isinstance(node, etree._Comment):
        return lxml.html.HtmlComment
    if isinstance(node, etree._ProcessingInstruction):
        return lxml.html.HtmlProcessingInstruction
    if isinstance(node, etree._Entity):
        return lxml.html.HtmlEntity
    return lxml.html.HtmlElementClassLookup._default_element_classes.get(
        node.tag.lower(), lxml.html.HtmlElement)


FORM = ("<html><body><FORM><Input><LABEL>x</LABEL><select><option>o</option></select>"
        "<TextArea>t</TextArea></FORM>&amp;&#12;</body></html>")


@pytest.mark.parametrize("html", [*EDGE_PAGES, FORM])
def test_the_parse_gives_each_node_the_class_lxml_html_gives_it(html: str) -> None:
    tree = trafilatura.load_html(html)
    nodes = list(tree.iter())
    assert [type(n) for n in nodes] == [lxml_html_class(n) for n in nodes]
    if html == FORM:  # the classes of their own, whatever case the page wrote the tags in
        assert {type(n) for n in nodes} >= {lxml.html.FormElement, lxml.html.InputElement,
                                            lxml.html.LabelElement, lxml.html.SelectElement,
                                            lxml.html.TextareaElement}
    # nodes made after the parse, as trafilatura makes them, and copies
    child = etree.SubElement(tree.find(".//body"), "form")
    assert type(child) is lxml.html.FormElement
    assert [type(n) for n in copy.deepcopy(tree).iter()] == [type(n) for n in tree.iter()]


def test_every_node_of_the_real_pages_has_the_class_lxml_html_gives_it() -> None:
    for name, _ in real_pages():
        html = extract.decode_html((REAL_PAGES / "pages" / name).read_bytes())[0]
        nodes = list(trafilatura.load_html(html).iter())
        assert [type(n) for n in nodes] == [lxml_html_class(n) for n in nodes], name
