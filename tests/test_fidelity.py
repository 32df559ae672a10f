"""Fidelity: each kind of difference is found at its line; style differences never are."""

from __future__ import annotations

import pytest

from archiver.errors import ArchiverError
from archiver.extract import installed_extractor
from archiver.fidelity import check_fidelity, compare
from archiver.findings import Severity
from archiver.manifest import Extractor

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
        ("link-lost", 11),
    ]
    assert all(f.path == PATH for f in result.findings)
    altered, quote, added, missing, lost = result.findings
    assert "`his` -> `her`" in altered.message
    assert quote.severity is Severity.ERROR
    assert "tremendous pressure to publish or to not publish" in quote.message
    assert "China says Xinjiang camps" in added.message
    assert "detention of Uyghurs" in missing.message
    assert "accessed here" in lost.message and "https://www.ohchr.org/report.pdf" in lost.message
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
    assert "and on to its end." in result.findings[0].message


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


def test_quote_in_added_passage_is_checked_against_the_whole_original() -> None:
    original = "The minister said \u201cwe welcome visitors\u201d at the session today."
    stored = ("The minister said \u201cwe welcome visitors\u201d at the session today.\n\n"
              "Critics replied \u201cthe camps remain\u201d in a later statement.")
    assert codes_and_lines(compare(stored, original, PATH).findings) == [
        ("quote-altered", 3),
        ("text-added", 3),
    ]


def test_recorded_extractor_that_is_not_installed_cannot_verify() -> None:
    old = Extractor(name="trafilatura", version="1.0.0", options={})
    with pytest.raises(ArchiverError, match=r"1\.0\.0"):
        check_fidelity(FAITHFUL, PATH, PAGE, URL, old)


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
