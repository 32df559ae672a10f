"""Fidelity: each kind of difference is found at its line; style differences never are."""

from __future__ import annotations

import pytest

from archiver.errors import ArchiverError
from archiver.fidelity.compare import check_fidelity, compare
from archiver.fidelity.extract import extract, installed_extractor
from archiver.findings import Severity
from benchmarks.peer_extractors import REAL_PAGES, RealPage, peer_texts, real_pages

URL = "https://news.example.org/2022/08/31/report.html"
PATH = "corpus/report.txt"

# Source line breaks inside paragraphs are deliberate: the page's wrapping is not content.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>UN rights chief releases report</title>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news</a></li>
<li><a href="/about">About us and our mission statement</a></li></ul></nav></header>
<main><article>
<h1>UN rights chief releases Xinjiang report</h1>
<p>The United Nations human rights chief, Michelle Bachelet, released her long-awaited
report on Wednesday, minutes before her term ended.</p>
<p>Bachelet said she had faced “tremendous pressure to publish or not to publish” the
assessment, which the government had sought to block.</p>
<p>The report found that the detention of Uyghurs may amount to crimes against humanity,
a finding rights groups had long sought.</p>
<p>Officials in Beijing rejected the findings and accused the office of acting as a thug
and accomplice of the United States.</p>
<p>The full assessment can be <a href="https://www.ohchr.org/report.pdf">accessed here</a>
and viewed below.</p>
<p>Rights groups called on the council to act on the report at its next session in
September.</p>
</article></main>
<footer><p>Copyright 2022 Example News. All rights reserved. Contact us for licensing and
syndication requests.</p></footer>
</body></html>""".encode()

FAITHFUL = """UN rights chief releases Xinjiang report

The United Nations human rights chief, Michelle Bachelet, released her long-awaited report \
on Wednesday, minutes before her term ended.

Bachelet said she had faced "tremendous pressure to publish or not to publish" the \
assessment, which the government had sought to block.

The report found that the detention of Uyghurs may amount to crimes against humanity, \
a finding rights groups had long sought.

Officials in Beijing rejected the findings and accused the office of acting as a thug and \
accomplice of the United States.

The full assessment can be [accessed here](https://www.ohchr.org/report.pdf) and viewed below.

Rights groups called on the council to act on the report at its next session in September."""

DAMAGED = """UN rights chief releases Xinjiang report

The United Nations human rights chief, Michelle Bachelet, released his long-awaited report \
on Wednesday, minutes before her term ended.

Bachelet said she had faced 'tremendous pressure to publish or to not publish' the \
assessment, which the government had sought to block.

China says Xinjiang camps are closed, in a related story

Officials in Beijing rejected the findings and accused the office of acting as a thug and \
accomplice of the United States.

The full assessment can be accessed here and viewed below.

Rights groups called on the council to act on the report at its next session in September."""


def codes_and_lines(findings: list) -> list[tuple[str, int | None]]:
    return [(f.code, f.line) for f in findings]


def test_faithful_text_with_style_differences_has_no_finding() -> None:
    # curly quotes straightened, an apostrophe curled, non-breaking and doubled spaces,
    # a link's target lost to a placeholder, and one paragraph hard-wrapped over two lines
    text = (
        FAITHFUL.replace("Michelle Bachelet,", "Michelle\u00a0Bachelet,")
        .replace("long-awaited report", "long-awaited  report")
        .replace('"tremendous', "\u201ctremendous").replace('publish" the', "publish\u201d the")
        .replace("(https://www.ohchr.org/report.pdf)", "(#)")
        .replace("a thug and ", "a thug and\n")
    )
    result = check_fidelity(text, PATH, PAGE, URL, installed_extractor())
    assert result.findings == []
    assert result.score == 1.0
    assert result.extraction_seconds > 0 and result.alignment_seconds > 0


def test_identical_text_is_faithful_and_one_more_word_is_not() -> None:
    same = compare(FAITHFUL, FAITHFUL, PATH)
    assert (same.findings, same.score) == ([], 1.0)
    longer = compare(FAITHFUL, FAITHFUL + " Officials declined to comment.", PATH)
    assert codes_and_lines(longer.findings) == [("text-missing", 13)]  # cut short
    assert longer.score < 1.0


def test_each_kind_of_damage_is_found_at_its_line() -> None:
    result = check_fidelity(DAMAGED, PATH, PAGE, URL, installed_extractor())
    assert codes_and_lines(result.findings) == [
        ("text-altered", 3),
        ("quote-altered", 5),
        ("text-added", 7),
        ("text-missing", 9),  # the dropped paragraph belonged before line 9
    ]
    assert all(f.path == PATH for f in result.findings)
    altered, quote, added, missing = result.findings
    assert "`his` -> `her`" in altered.message
    assert quote.severity is Severity.ERROR
    assert "tremendous pressure to publish or to not publish" in quote.message
    assert "China says Xinjiang camps" in added.message and "nowhere on" in added.message
    assert "detention of Uyghurs" in missing.message
    # a text with no link at all is plain text: its links were not lost, it never had any
    # navigation and footer are page chrome: neither missing nor added
    assert not any("Home" in f.message or "Copyright" in f.message for f in result.findings)
    assert 0.6 < result.score < 0.9


def test_score_is_the_share_of_original_words_kept() -> None:
    original = "one two three four five six seven eight nine ten"
    assert compare("one two three four five six seven eight", original, PATH).score == 0.8


def test_truncated_passage_is_missing_text() -> None:
    original = "A first paragraph stays whole.\nThe second paragraph goes on and on to its end."
    result = compare("A first paragraph stays whole.\n\nThe second paragraph goes on", original,
                     PATH)
    assert codes_and_lines(result.findings) == [("text-missing", 3)]
    assert "and on to its end" in result.findings[0].message


def test_paragraph_split_at_a_link_is_one_passage() -> None:
    original = ("Activists drew attention to China's [harassment of Uyghur diaspora "
                "communities](https://example.org/h) abroad, including in UN fora.")
    stored = ("Activists drew attention to China's [harassment of Uyghur diaspora](#)\n\n"
              "[communities](#) abroad, including in UN fora.")
    result = compare(stored, original, PATH)
    assert result.findings == []
    assert result.score == 1.0


def test_duplicated_passage_is_added_once() -> None:
    original = "A photo caption of the rally.\nThe body of the story follows here."
    stored = ("A photo caption of the rally.\nA photo caption of the rally.\n"
              "The body of the story follows here.")
    assert codes_and_lines(compare(stored, original, PATH).findings) == [("text-added", 2)]


def test_verbatim_quote_is_not_altered_even_when_mark_style_differs() -> None:
    original = "He said \u201cthe door is open\u201d to visitors from all countries."
    assert compare("He said 'the door is open' to visitors from all countries.", original,
                   PATH).findings == []
    changed = compare("He said 'the door is wide open' to visitors from all countries.",
                      original, PATH)
    assert codes_and_lines(changed.findings) == [("quote-altered", 1)]


@pytest.mark.parametrize(("opening", "closing"), [
    ("\u00ab ", " \u00bb"),  # French guillemets
    ("\u201e", "\u201c"),  # German low-high quotes
    ("\u201c", "\u201d"),
])
def test_a_quotation_after_a_mark_the_page_never_closes_is_still_a_quotation(
        opening: str, closing: str) -> None:
    # soundofscience.fr: an opening mark the page never closes pairs folded marks wrongly;
    # each quotation opened and closed by its own marks is still checked word for word
    line = (f"The letter asks for {opening}steady funding [\u2026] and less of {opening}short "
            f"calls{closing}, more time and an end to {opening}the split between managers and "
            f"the researchers{closing}.")
    assert compare(line, line, PATH).findings == []
    changed = line.replace("the researchers", "the quarry")
    assert codes_and_lines(compare(changed, line, PATH).findings) == [("quote-altered", 1)]


def test_quote_in_added_passage_is_checked_against_the_whole_original() -> None:
    original = "The minister said \u201cwe welcome visitors\u201d at the session today."
    stored = ("The minister said \u201cwe welcome visitors\u201d at the session today.\n\n"
              "Critics replied \u201cthe camps remain\u201d in a later statement.")
    assert codes_and_lines(compare(stored, original, PATH).findings) == [
        ("quote-altered", 3),
        ("text-added", 3),
    ]


def test_link_lost_in_a_text_that_keeps_other_links() -> None:
    text = DAMAGED.replace("Michelle Bachelet", "[Michelle Bachelet](https://example.org/mb)")
    result = check_fidelity(text, PATH, PAGE, URL, installed_extractor())
    [lost] = [f for f in result.findings if f.code == "link-lost"]
    assert lost.line == 11
    assert "accessed here" in lost.message and "https://www.ohchr.org/report.pdf" in lost.message


def test_recorded_extractor_that_is_not_installed_still_gets_a_verdict() -> None:
    old = installed_extractor().model_copy(update={"version": "1.0.0"})
    assert check_fidelity(FAITHFUL, PATH, PAGE, URL, old).findings == []
    result = check_fidelity(DAMAGED, PATH, PAGE, URL, old)
    assert [f.code for f in result.findings] == [
        "text-altered", "quote-altered", "text-added", "text-missing"]
    [missing] = [f for f in result.findings if f.code == "text-missing"]
    assert "the text was extracted with 1.0.0" in missing.message
    with pytest.raises(ArchiverError, match="readability"):
        check_fidelity(FAITHFUL, PATH, PAGE, URL, old.model_copy(update={"name": "readability"}))


def test_original_without_text_cannot_verify() -> None:
    with pytest.raises(ArchiverError, match="yields no text"):
        check_fidelity(FAITHFUL, PATH, b"<html><body></body></html>", URL, installed_extractor())


def test_paragraph_hard_wrapped_over_three_lines_is_one_passage() -> None:
    original = ("The report found that the detention of Uyghurs and other Turkic groups may "
                "amount to crimes against humanity, a finding long sought.\nA second paragraph.")
    stored = ("The report found that the detention of Uyghurs and other Turkic groups may\n"
              "amount to crimes against humanity,\na finding long sought.\n\nA second paragraph.")
    result = compare(stored, original, PATH)
    assert result.findings == []
    assert result.score == 1.0


@pytest.mark.parametrize(
    "styled",
    [
        "The report found _all_ of the **detention** camps ~~closed~~ at `once`.",  # emphasis
        "## The report found all of the detention camps closed at once.",  # heading
        "- The report found all of the detention camps closed at once.",  # list markers
        "* The report found all of the detention camps closed at once.",
        "\u2022 The report found all of the detention camps closed at once.",
        "4\\. The report found all of the detention camps closed at once.",  # escaped number
        "> The report found all of the <u>detention</u> camps closed at once.",  # quote, HTML
        "The report found all of the detention camps ![a camp](https://e.org/c.jpg) closed "
        "at once.",  # an image is not words
        "The report found all of the detention camps closed at once .",  # spacing
        "The report found all of the [detention camps](https://e.org/c)closed at once.",
        'The report found all of the [detention camps](https://e.org/c "the "camps" page") '
        "closed at once.",  # a link title holding quotation marks
    ],
)
def test_markup_list_markers_and_spacing_are_not_content(styled: str) -> None:
    original = "The report found all of the detention camps closed at once."
    original = original if "](" not in styled else original.replace(
        "detention camps", "[detention camps](https://e.org/c)")
    result = compare(styled, original, PATH)
    assert result.findings == [] and result.score == 1.0


def test_spacing_where_words_meet_quotes_is_not_content() -> None:
    original = "He said \u201cthe door is open\u201d to visitors."
    assert compare('He said"the door is open"to visitors.', original, PATH).findings == []


def test_a_hard_wrapped_markdown_text_is_read_by_paragraph() -> None:
    original = ("The report found that the detention of Uyghurs may amount to crimes against "
                "humanity, a finding [rights groups](https://e.org/g) had long sought.\n"
                "A second paragraph follows.")
    stored = ("The report found that the detention of Uyghurs may amount to crimes\n"
              "against humanity, a finding [rights\ngroups](https://e.org/g) had long sought.\n"
              "\nA second paragraph follows.\n")
    result = compare(stored, original, PATH)
    assert result.findings == [] and result.score == 1.0
    changed = compare(stored.replace("long sought", "never sought"), original, PATH)
    assert codes_and_lines(changed.findings) == [("text-altered", 3)]  # where the words are


def test_a_quotation_verbatim_elsewhere_on_the_page_is_not_a_misquote() -> None:
    # the headline (the page's title) and a caption are page text outside the article
    page = PAGE.replace(b"<title>UN rights chief releases report", b"<title>\xe2\x80\x9cThe "
                        b"camps must close\xe2\x80\x9d, says UN").replace(
        b"<h1>UN rights chief", b"<figure><figcaption>Bachelet in Geneva, "
                        b"where she called the report \xe2\x80\x9can unflinching account"
                        b"\xe2\x80\x9d</figcaption></figure><h1>UN rights chief")
    text = FAITHFUL.replace("minutes before her term ended.", "minutes before her term "
                            'ended. She called it "an unflinching account" and said '
                            '"The camps must close".')
    assert "camps must close" not in extract(page, URL).text  # neither is in the article
    assert "unflinching" not in extract(page, URL).text
    result = check_fidelity(text, PATH, page, URL, installed_extractor())
    assert [f.code for f in result.findings if f.code == "quote-altered"] == []
    misquoted = text.replace("an unflinching account", "a damning account")
    result = check_fidelity(misquoted, PATH, page, URL, installed_extractor())
    assert codes_and_lines([f for f in result.findings if f.code == "quote-altered"]) == [
        ("quote-altered", 3)]


def test_text_outside_the_article_is_told_apart_from_text_nowhere_on_the_page() -> None:
    text = (FAITHFUL + "\n\nAbout us and our mission statement\n\n"
            "A sentence that nobody ever wrote on that page at all.")
    result = check_fidelity(text, PATH, PAGE, URL, installed_extractor())
    assert codes_and_lines(result.findings) == [("text-outside-article", 15),
                                                ("text-added", 17)]
    assert "outside the article" in result.findings[0].message
    assert "nowhere on the archived page" in result.findings[1].message


# Real pages nobody here wrote, with their human ground truth; other tools' texts of them.
FAITHFUL_PAGES = ["aljazeera.com-42aad16b.html", "bbc.com-70cb2d5b.html",
                  "polygraph.info-1ee91d1f.html", "sciencealert.com-359fee22.html"]


@pytest.fixture(scope="module")
def peer_pages() -> dict[str, tuple[RealPage, dict[str, str]]]:
    pages = {p.name: p for p in real_pages(truth_only=True) if p.name in FAITHFUL_PAGES}
    assert sorted(pages) == FAITHFUL_PAGES, f"real pages absent from {REAL_PAGES}"
    return {name: (page, peer_texts(page)) for name, page in pages.items()}


@pytest.mark.parametrize("name", FAITHFUL_PAGES)
def test_faithful_texts_by_other_tools_and_people_draw_no_alteration(peer_pages, name) -> None:
    page, texts = peer_pages[name]
    assert sorted(texts) == ["readability+html2text", "resiliparse", "trafilatura-default",
                             "truth"]
    for maker, text in texts.items():
        result = check_fidelity(text, maker, page.html, page.url, installed_extractor())
        wrong = [f for f in result.findings
                 if f.code in ("quote-altered", "text-altered", "link-lost")]
        assert wrong == [], maker


def test_real_differences_in_a_faithful_text_are_still_found(peer_pages) -> None:
    page, texts = peer_pages["bbc.com-70cb2d5b.html"]
    truth = texts["truth"]
    assert "she didn't need their permission" in truth
    quoted = next(line for line in truth.split("\n") if line.count('"') == 2
                  and len(line.split('"')[1].split()) > 4)
    inside = quoted.split('"')[1].split()[2]
    damaged = (truth.replace(quoted, quoted.replace(f" {inside} ", " never ", 1))
               .replace("she didn't need their permission", "she needed their permission"))
    result = check_fidelity(damaged, "truth", page.html, page.url, installed_extractor())
    codes = {(f.code, f.line) for f in result.findings}
    lines = damaged.split("\n")
    assert ("quote-altered", lines.index(quoted.replace(f" {inside} ", " never ", 1)) + 1
            ) in codes
    assert ("text-altered", next(n for n, line in enumerate(lines, 1)
                                 if "she needed their permission" in line)) in codes


def test_a_caption_run_into_a_paragraph_is_outside_the_article_not_an_alteration() -> None:
    page = PAGE.replace(b"<p>Officials in Beijing", b"<figure><figcaption>Photo by Jane Roe"
                        b"</figcaption></figure><p>Officials in Beijing")
    text = FAITHFUL.replace("Officials in Beijing", "Photo by Jane Roe Officials in Beijing")
    result = check_fidelity(text, PATH, page, URL, installed_extractor())
    assert codes_and_lines(result.findings) == [("text-outside-article", 9)]
    assert "Photo by Jane Roe" in result.findings[0].message


def test_a_word_split_by_an_inline_tag_is_the_same_word() -> None:
    original = ("The deal covers [Garrett](https://e.org/g)'s suspension and all "
                "[MacBook](https://e.org/m)s.")
    assert compare("The deal covers Garrett's suspension and all MacBooks.", original,
                   PATH).findings == []


def test_wrapped_images_and_autolinks_of_html2text_are_not_words() -> None:
    original = ("Read the full text at [https://e.org/report](https://e.org/report) today.\n"
                "The second paragraph.")
    stored = ("Read the full text at <https://e.org/report> today. [![a\nchart](https://e.org/"
              "wp-\ncontent/c.jpg)](https://e.org/wp-\ncontent/c.jpg)\n\nThe second paragraph.\n")
    result = compare(stored, original, PATH)
    assert result.findings == [] and result.score == 1.0


def test_a_paragraph_split_in_two_and_joined_is_the_paragraph_whole() -> None:
    # what alignment compares when one side split a paragraph: words, their lines, their
    # links and the quotations must all be those of the paragraph read whole
    from archiver.fidelity.compare import parse_passage

    first = 'She cited [the report](https://e.org/r) and said "it is a scandal" today,'
    second = 'then [the annex](https://e.org/a) that "no one read" at all.'
    one, two = parse_passage(first, 3), parse_passage(second, 4)
    whole = parse_passage(first + " " + second, 3)
    joined = one.joined(two)
    assert joined.lines == [3, 4]
    assert joined.words == whole.words and joined.quoted == whole.quoted
    assert joined.links == whole.links == ["https://e.org/r", "https://e.org/a"]
    assert joined.word_links == whole.word_links
    assert joined.quotes == whole.quotes and len(joined.quotes) == 2
    assert joined.word_lines == [3] * len(one.words) + [4] * len(two.words)
    # joining leaves both halves as they were
    assert one == parse_passage(first, 3) and two == parse_passage(second, 4)


def test_an_altered_passage_says_which_words_differ_five_at_most() -> None:
    # the reviewer reads what changed without opening both texts; a long list is cut at five
    original = ("The council met on Monday and voted to close the old market square for the "
                "whole summer season.\n\nResidents were not consulted before the vote, "
                "according to the local paper.")
    rest = "\n\nResidents were not consulted before the vote, according to the local paper."
    many = ("The board met on Tuesday and decided to open the new market hall for the entire "
            "winter season." + rest)
    [finding] = compare(many, original, "corpus/x.txt").findings
    assert (finding.code, finding.line) == ("text-altered", 1)
    assert finding.message == (
        "words differ from the original (text -> original): `board` -> `council`; `Tuesday` "
        "-> `Monday`; `decided` -> `voted`; `open` -> `close`; `new` -> `old`; and 2 more")
    one = ("The council met on Monday and voted to close the market square for the whole "
           "summer season." + rest)
    [finding] = compare(one, original, "corpus/x.txt").findings
    assert finding.message == ("words differ from the original (text -> original): "
                               "(none) -> `old`")


@pytest.mark.parametrize(("extra", "code"), [
    # two of the page's blocks run into one paragraph: every word is on the page
    ("Photo by the city press office in spring. Subscribe to our weekly newsletter for local "
     "politics.", "text-outside-article"),
    # the page's caption with one word dropped: short runs of its words still cover it
    ("Photo by the press office in spring.", "text-outside-article"),
    # the caption's first words, then words the page never had: invented, not the page's
    ("Photo by the city press office, taken from a helicopter over the river in spring.",
     "text-added"),
])
def test_words_from_the_page_outside_the_article_are_told_from_invented_ones(
        extra: str, code: str) -> None:
    original = ("The council met on Monday and voted to close the old market square for the "
                "whole summer season.")
    page = (original + "\n\nPhoto by the city press office in spring.\n\nSubscribe to our "
            "weekly newsletter for local politics.")
    [finding] = compare(original + "\n\n" + extra, original, "corpus/x.txt",
                        page_text=page).findings
    assert (finding.code, finding.line) == (code, 3)
