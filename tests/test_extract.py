"""Extraction: Markdown with links, metadata, deliberate decoding, re-running recorded options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trafilatura

from archiver.errors import ArchiverError
from archiver.fidelity.extract import (
    OPTIONS,
    PREPROCESSING,
    decode_html,
    extract,
    extract_with,
    installed_extractor,
    page_text,
    rederive,
)
from archiver.manifest import Extractor

URL = "https://news.example.org/2020/03/12/story.html"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="{charset}">
<title>Rights body needs to step up | Example News</title>
<meta name="author" content="Jane Doe; John Roe">
<meta property="article:published_time" content="2020-03-12T09:00:00+00:00">
<link rel="canonical" href="https://news.example.org/story">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Rights body needs to step up</h1>
<p>The <a href="/un">United Nations</a> Human Rights Council should address the worsening
crisis as a matter of priority, the groups said today in a joint statement.</p>
<p>A full report on the café visit can be <a href="https://docs.example.org/r.pdf">accessed
here</a> and viewed below, with every annex the researchers compiled.</p>
</article>
<footer>Copyright Example News</footer>
</body></html>"""


def page(charset: str = "utf-8") -> bytes:
    return PAGE.format(charset=charset).encode(charset)


def test_extract_keeps_links_as_markdown_and_drops_chrome() -> None:
    result = extract(page(), URL)
    assert "[United Nations](https://news.example.org/un)" in result.text
    assert "[accessed here](https://docs.example.org/r.pdf)" in result.text
    assert "Home" not in result.text
    assert "Copyright" not in result.text


def test_extract_reads_metadata() -> None:
    meta = extract(page(), URL).metadata
    assert meta.title == "Rights body needs to step up"
    assert meta.authors == ["Jane Doe", "John Roe"]
    assert meta.date == "2020-03-12"
    assert meta.canonical_url == "https://news.example.org/story"
    assert meta.language == "en"


def test_extract_records_the_installed_extractor_and_exact_options() -> None:
    extractor = extract(page(), URL).extractor
    assert extractor.name == "trafilatura"
    assert extractor.version == trafilatura.__version__
    assert extractor.options == OPTIONS
    assert extractor.preprocessing == PREPROCESSING
    assert PREPROCESSING == ["collapse-whitespace", "absolute-links"]
    # the recorded options are trafilatura.extract's own keywords
    assert trafilatura.extract("<p>x</p>", url=URL, **extractor.options) is None


def test_extract_gives_one_line_per_paragraph_despite_source_wrapping() -> None:
    lines = extract(page(), URL).text.splitlines()
    assert lines[1].startswith("The [United Nations]")
    assert lines[1].endswith("in a joint statement.")
    assert "can be [accessed here](https://docs.example.org/r.pdf) and viewed" in lines[2]
    pre = b"<html><body><article><p>Code follows, as written by the author of it:</p>" \
        b"<pre>a  =  1\nb = 2</pre></article></body></html>"
    assert "a  =  1\nb = 2" in extract(pre, URL).text


def test_extract_of_a_page_without_text_is_empty() -> None:
    assert extract(b"", URL).text == ""
    assert extract(b"<html><head><title>Nothing</title></head><body></body></html>", URL).text == ""


def test_decode_prefers_given_charset_then_meta_then_utf8() -> None:
    latin = page("windows-1252")
    assert decode_html(latin)[1:] == ("windows-1252", "meta")
    assert "café" in extract(latin, URL).text
    assert decode_html(latin, "iso-8859-1")[1:] == ("iso-8859-1", "given")
    # an unknown given charset falls back to the page's own declaration
    assert decode_html(latin, "x-no-such-charset")[1:] == ("windows-1252", "meta")
    text, used, source = decode_html(b"<p>caf\xe9</p>")
    assert (used, source) == ("utf-8", "default")
    assert "caf\ufffd" in text


def test_extract_with_reruns_recorded_options() -> None:
    recorded = installed_extractor({**OPTIONS, "include_links": False})
    result = extract_with(page(), URL, recorded)
    assert "United Nations Human Rights Council" in result.text
    assert "](" not in result.text
    assert result.extractor == recorded


@pytest.mark.parametrize(
    ("name", "version"),
    [("trafilatura", "0.0.1"), ("readability", trafilatura.__version__)],
)
def test_extract_with_refuses_another_extractor(name: str, version: str) -> None:
    with pytest.raises(ArchiverError, match=f"{name} {version}"):
        extract_with(page(), URL, Extractor(name=name, version=version, options=OPTIONS))


def test_extract_with_runs_the_recorded_preprocessing_only() -> None:
    as_recorded = installed_extractor().model_copy(update={"preprocessing": []})
    lines = extract_with(page(), URL, as_recorded).text.splitlines()
    assert lines[1].startswith("The [United Nations]")
    assert not lines[1].endswith("in a joint statement.")  # the source's wrapping survives
    with pytest.raises(ArchiverError, match=r"preprocessing \['tidy-up'\]"):
        extract_with(page(), URL, as_recorded.model_copy(update={"preprocessing": ["tidy-up"]}))


@pytest.mark.parametrize("options", [
    {"no_such_option": True},  # TypeError inside trafilatura
    {"output_format": "bogus"},  # AttributeError inside trafilatura
    {"config": "x"},
])
def test_extract_with_refuses_unusable_options(options: dict[str, object]) -> None:
    with pytest.raises(ArchiverError, match="cannot re-run"):
        extract_with(page(), URL, installed_extractor(options))


DATED_TEXT = """<html><head><title>Council meeting</title></head><body><article>
<p>The council met on 12 March 2021 and adopted the water budget after a long debate.</p>
<p>Updated: 14 March 2021</p>{time}</article></body></html>"""


def test_extract_dates_a_page_by_its_markup_not_by_dates_in_its_text() -> None:
    undated = "https://news.example.org/story.html"
    assert extract(DATED_TEXT.format(time="").encode(), undated).metadata.date is None
    timed = DATED_TEXT.format(time='<p><time datetime="2021-03-12">12 March</time></p>')
    assert extract(timed.encode(), undated).metadata.date == "2021-03-12"


def test_extract_leaves_scripts_and_styles_out_of_the_text() -> None:
    scripted = page().replace(
        b"</head>", b'<style>p  {\n  color: red }</style><script>var  a = "\n  b";</script></head>'
    ).replace(b"</article>", b"<script>track(  'read'\n)</script></article>")
    assert extract(scripted, URL).text == extract(page(), URL).text


@pytest.mark.parametrize(
    "separated",
    [
        '<a href="/deal">save $100</a>\non',
        '<a href="/deal">save $100</a>\r\n\t  on',
        '<strong><a href="/deal">save $100</a></strong>\non',
        '<a href="/deal"><em>save $100</em></a>\n<span>on</span>',
        '<a href="/deal">save $100\n</a>on',
        '<a href="/deal">save $100</a><!-- ad -->\non',
    ],
)
def test_a_link_keeps_the_space_a_line_break_makes_before_the_next_word(separated: str) -> None:
    html = (f"<html><body><article><p>Today only you can {separated} the retail price of the "
            "12-inch MacBook, a deal we have not seen since the spring sales ended.</p><p>"
            "A second paragraph gives the article enough text to be one.</p></article>"
            "</body></html>")
    text = extract(html.encode(), URL).text
    assert "[save $100](https://news.example.org/deal) on the retail" in text


def test_page_text_is_every_shown_text_one_block_a_line_without_scripts() -> None:
    html = page().replace(b"</head>", b'<meta property="og:description" content="A summary '
                          b'shown in previews."><style>p { color: red }</style>'
                          b'<script>var hidden = "no";</script></head>').replace(
        b"<footer>", b'<figure><img src="x.jpg" alt="Delegates in Geneva"><figcaption>The '
        b"council in session</figcaption></figure><footer>")
    lines = page_text(html).split("\n")
    assert lines[0] == "Rights body needs to step up | Example News"
    assert "A summary shown in previews." in lines and "Delegates in Geneva" in lines
    assert "The council in session" in lines and "Copyright Example News" in lines
    assert any(line.startswith("The United Nations Human Rights Council should address the "
                               "worsening crisis") for line in lines)  # source wrapping gone
    assert not any("hidden" in line or "color" in line for line in lines)
    assert page_text(b"") == ""


REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages"


@pytest.mark.parametrize(("page", "browser", "extractors_own"), [
    # a fragment link goes to the section of the article itself, not to the site's home
    ("blog.givewell.org-ad9e9e59.html",
     "https://blog.givewell.org/2018/10/09/a-grant-to-evidence-action-beta-to-prototype-test-"
     "and-scale-promising-programs/#Grant", "https://blog.givewell.org#Grant"),
    # a path relative to the article's folder
    ("sputniknews.com-1f765c48.html",
     "https://sputniknews.com/columnists/201911181077343476-royal-self-indicting-arrogance/"
     "lly-screwed-queen-reportedly-did-not-sign-off-on-prince-andrews-interview-on-epstein/",
     "https://sputniknews.com/lly-screwed-queen-reportedly-did-not-sign-off-on-prince-andrews-"
     "interview-on-epstein/"),
])
def test_relative_links_of_real_pages_resolve_as_a_browser_follows_them(
        page: str, browser: str, extractors_own: str) -> None:
    sources = json.loads((REAL_PAGES / "sources.json").read_text(encoding="utf-8"))
    html, url = (REAL_PAGES / "pages" / page).read_bytes(), sources[page]["original_url"]
    assert f"]({browser})" in extract(html, url).text
    # without the step (texts extracted before it existed) trafilatura's own rule stands
    before = installed_extractor().model_copy(update={"preprocessing": ["collapse-whitespace"]})
    rederived = extract_with(html, url, before).text
    assert f"]({extractors_own})" in rederived
    assert f"]({browser})" not in rederived


def test_page_text_shows_an_images_alt_text_where_the_image_stands() -> None:
    # rechtambild.de's rating: five star images, then the score, as text extractors read it
    html = (REAL_PAGES / "pages" / "rechtambild.de-bbb46431.html").read_bytes()
    lines = page_text(html).split("\n")
    assert ("Bewertung: 1 Stern2 Sterne3 Sterne4 Sterne5 Sterne 1,00 von 5 Sterne, basierend "
            "auf 1 abgegebenen Stimmen.") in lines
    assert "1 Stern" in lines  # and, as before, on a line of its own


def test_the_pages_parts_are_its_links_articles_without_comments_and_embedded_posts() -> None:
    html = (b'<html><body><article><p>The entry, with <a href="/a">a link</a>.</p>'
            b'<blockquote class="twitter-tweet"><p>A post from the network</p></blockquote>'
            b"<article><p>A reader's comment</p></article><p>The entry's end.</p></article>"
            b"<footer><p>Footer text of the page</p></footer></body></html>")
    parts = rederive(html, URL, installed_extractor(), with_page_text=True).page_parts
    assert parts.links == ("a link",)
    assert parts.articles == ("The entry, with a link.\nA post from the network\n"
                              "The entry's end.",)
    assert parts.embedded == ("A post from the network",)
    # a real page: 9to5mac.com embeds a tweet in its article
    real = (REAL_PAGES / "pages" / "9to5mac.com-ad826691.html").read_bytes()
    embedded = rederive(real, URL, installed_extractor(), with_page_text=True).page_parts.embedded
    assert [post.split("\n")[0][:40] for post in embedded] == [
        "The 9to5Mac BundleHunt delivers over 40 "]
