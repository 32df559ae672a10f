"""Tests for archiver.fidelity.damage: each detector fires on made damage, quiet on near misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.fidelity import damage
from archiver.fidelity.damage import scan_text
from archiver.fidelity.extract import extract

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def hits(text: str, code: str) -> list[tuple[int | None, str]]:
    """(line, message) of every finding of ``code`` in ``text``."""
    return [(f.line, f.message) for f in scan_text(text, "corpus/x.txt") if f.code == code]


def lines_of(text: str, code: str) -> list[int | None]:
    """The line of every finding of ``code`` in ``text``."""
    return [line for line, _ in hits(text, code)]


def test_findings_carry_path_and_are_sorted_by_line() -> None:
    text = "Skip to main content\n\nSee [a](#).\n\nStray \ufffd here."
    findings = scan_text(text, "corpus/a.txt")
    assert [(f.code, f.line, f.path) for f in findings] == [
        ("boilerplate", 1, "corpus/a.txt"),
        ("link-placeholder", 3, "corpus/a.txt"),
        ("replacement-glyph", 5, "corpus/a.txt"),
    ]
    assert all(f.severity == "warning" for f in findings)


def test_crlf_line_endings_do_not_hide_damage() -> None:
    text = "A man holds a sign.\r\nA man holds a sign.\r\nSee [a](#).\r\n"
    assert lines_of(text, "duplicate-line") == [2]
    assert lines_of(text, "link-placeholder") == [3]


# --- link-placeholder

def test_link_placeholder_one_finding_per_occurrence() -> None:
    text = "Intro.\n\nSee [the report](#) and [annex]() and (#) too."
    found = hits(text, "link-placeholder")
    assert [line for line, _ in found] == [3, 3, 3]
    assert "[the report](#)" in found[0][1]
    assert "[annex]()" in found[1][1]


def test_link_placeholder_near_misses() -> None:
    text = ("See [the report](https://x.org) and [a section](#findings).\n"
            "Call f() or g(x); see (note 3) and [brackets] alone.")
    assert hits(text, "link-placeholder") == []


# --- replacement-glyph

def test_replacement_glyph_each_fffd_and_each_box_run() -> None:
    text = "Fine.\nLost \ufffd and \ufffd here.\nName: \u25a1\u25a1\u25a1 end \u2610\u2610."
    found = hits(text, "replacement-glyph")
    assert [line for line, _ in found] == [2, 2, 3, 3]
    assert "3 placeholder boxes" in found[2][1]
    assert "\u25a1\u25a1\u25a1" in found[2][1]


def test_replacement_glyph_message_shows_25_characters_each_side() -> None:
    # enough of the line to find the place by eye, not the whole paragraph
    line = "a" * 30 + "A" * 25 + "\ufffd" + "B" * 25 + "b" * 30
    [(_, message)] = hits(line, "replacement-glyph")
    assert message.endswith(": `" + "A" * 25 + "\ufffd" + "B" * 25 + "`")


def test_replacement_glyph_single_box_is_a_bullet() -> None:
    assert hits("\u25a1 first item\n\u25a0 second item", "replacement-glyph") == []


# --- mojibake

def test_mojibake_one_finding_per_line() -> None:
    text = "Clean line.\nIt\u00e2\u20ac\u2122s a caf\u00c3\u00a9 in Geneva."
    found = hits(text, "mojibake")
    assert [line for line, _ in found] == [2]
    assert "It\u00e2\u20ac\u2122s" in found[0][1]
    assert "It\u2019s" in found[0][1]


def test_mojibake_leaves_clean_typography_alone() -> None:
    text = ("Bachelet\u2019s office \u2013 \u201cnot now\u201d \u2014 said Ren\u00e9 Cassin.\n"
            "Uyghurs\u2019 rights\u00a0groups; na\u00efve fa\u00e7ade in Z\u00fcrich;"
            " \u0141\u00f3d\u017a; 12\u00a0March.")
    assert hits(text, "mojibake") == []


# --- duplicate-line

def test_duplicate_line_names_the_earlier_line() -> None:
    text = "FILE - A man holds a sign.\n\nBody text.\n  FILE - A man holds a sign.  "
    assert hits(text, "duplicate-line") == [
        (4, "repeats line 1: `FILE - A man holds a sign.`")]


def test_duplicate_line_ignores_short_labels_blanks_and_rules() -> None:
    text = ("Doubtful Uyghurs\n\nSome text here.\n\nDoubtful Uyghurs\n\nSome text here.\n"
            "| --- | --- | --- | --- |\n| --- | --- | --- | --- |")
    assert hits(text, "duplicate-line") == []


@pytest.mark.parametrize("text", [
    # a table's header over each of several tables (dawgsbynature.com)
    "| Pos | Player | Plays | Stats |\n| --- | --- | --- | --- |\n| DL | A | 63 | 1 |\n\n"
    "Next unit.\n\n| Pos | Player | Plays | Stats |\n| --- | --- | --- | --- |",
    # a question asked of each person interviewed, three times or more (wday.ru)
    "Anna\nWhat inspired your cooking page?\nHer answer.\nBoris\n"
    "What inspired your cooking page?\nHis answer.\nVera\nWhat inspired your cooking page?",
    # a line of a section that recurs with it (beachbodyondemand.com's meal plans)
    "Plan A\nPre-Workout Meal\nEat 60 minutes before your workout\nEggs\nPlan B\n"
    "Pre-Workout Meal\nEat 60 minutes before your workout\nOats",
])
def test_duplicate_line_ignores_what_pages_repeat(text: str) -> None:
    assert hits(text, "duplicate-line") == []


def test_duplicate_line_fires_on_a_lone_copy_away_from_its_original() -> None:
    text = ("The council met in Geneva on Monday.\n\nA second paragraph.\n\nA third one.\n\n"
            "The council met in Geneva on Monday.")
    assert lines_of(text, "duplicate-line") == [7]


REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "pages"


@pytest.mark.parametrize(("name", "code"), [
    ("beachbodyondemand.com-5f03fc17.html", "duplicate-line"),  # 89 before, its meal plans
    ("dawgsbynature.com-6a72de37.html", "duplicate-line"),  # a header over each table
    ("heise.de-dc828330.html", "unbalanced-quote"),  # German "…“ once per quotation
    ("slashgear.com-06ee193d.html", "unbalanced-quote"),  # isn U+2018 t
])
def test_real_pages_text_draws_no_false_damage(name: str, code: str) -> None:
    text = extract((REAL_PAGES / name).read_bytes(), f"https://{name.split('-')[0]}/").text
    found = hits(text, code)
    if code == "unbalanced-quote":  # heise.de mixes a straight opening and a German closing
        found = [f for f in found if "never closed" in f[1]]
    assert found == []


# --- unbalanced-quote

@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("Intro.\n\nHe said, \u201cthese are lies.\"\n", 3, "opened with \u201c is closed with \""),
    ("\"In the meantime, we wait,\u201d she said.", 1, "opened with \" is closed with \u201d"),
    ("Intro.\n\u201cThat\u2019s why. They are not in control.\n\nSome have doubts.", 2,
     "never closed"),
    ("He said \u201cfirst and \u201csecond.\u201d", 1, "never closed: `\u201cfirst and`"),
    ("They left,\u201d she said.", 1, "closing \u201d without an opening mark"),
    ("She called it \u2018unfettered access.\n\nThen she left.", 1, "opened with \u2018"),
    ("Er nannte es \u201eeinen Skandal und ging.\n\nDann nichts.", 1, "opened with \u201e"),
    # German closing mark after a straight opening one (heise.de): closed, with another mark
    ("\"Wir verbrauchen weniger.\u201c, sagt er.", 1, "opened with \" is closed with \u201c"),
    # two paragraphs between: the quotation was not continued
    ("\u201cFirst part.\n\nA caption.\n\nAnother paragraph.\n\n\u201cLater.\u201d", 1,
     "never closed"),
    # an apostrophe that starts a word ('90s) does not close the open quotation
    ("He called it \u2018the sound of the \u201990s and left.\n\nNext.", 1, "opened with \u2018"),
])
def test_unbalanced_quote_fires(text: str, line: int, fragment: str) -> None:
    found = hits(text, "unbalanced-quote")
    assert [n for n, _ in found] == [line]
    assert fragment in found[0][1]


@pytest.mark.parametrize("text", [
    "\u201cWe will,\u201d he said, \u201cgo.\u201d",
    "China\u2019s office and Guterres\u2019 call; the Uyghurs\u2019 rights; in the \u201990s.",
    "Pressed for \u2018immediate, meaningful and unfettered\u2019 access.",
    "\u2018The Uyghurs\u2019 rights are ignored,\u2019 she said; \u2018China\u2019s too.\u2019",
    "It is \"interconnected\" and (\"essential\") work.",
    "A 5\" screen and a lone \" mark; 'ASCII quotes are not tracked.",
    "\u201cFirst paragraph of the quote.\n\n\u201cSecond paragraph ends.\u201d",
    "\u2018First part.\n\u2018Second part.\u2019",
    "> \u201cFirst paragraph of the quote.\n>\n> \u201cSecond paragraph ends.\u201d",
    # German marks (basicthinking.de, rechtambild.de, netzpolitik.org, heise.de)
    "Er nannte es \u201eeinen Skandal\u201c und ging; \u201ezweitens\u201d auch.",
    "\u201eErster Absatz des Zitats.\n\n\u201eZweiter Absatz endet.\u201c",
    # a caption or an advertisement between two paragraphs of one quotation (news.sky.com)
    "\"He is renowned for his prowess.\n\nAdvertisement\n\n\"He has won four titles.\"",
    # apostrophes typed with U+2018 (basicthinking.de, slashgear.com)
    "Hamilton\u2018s tears; the automaker isn \u2018t slowing; [a tweet](https://t.co/x)\u2018s",
    # an apostrophe that starts a word is no closing quote
    "She said \u2018the music of the \u201990s, and all of \u2019em\u2019 was gone.",
])
def test_unbalanced_quote_near_misses(text: str) -> None:
    assert hits(text, "unbalanced-quote") == []


# --- split-link

def test_split_link_at_the_first_half() -> None:
    text = ("Intro.\n\nThey draw attention to [harassment of Uyghur diaspora](#)\n\n"
            "[communities](#) abroad.")
    found = hits(text, "split-link")
    assert [line for line, _ in found] == [3]
    assert "[harassment of Uyghur diaspora](#)" in found[0][1]
    assert "continues at line 5" in found[0][1]


def test_split_link_continued_in_lower_case() -> None:
    text = "They draw attention to [harassment of](https://x.org/a)\n\ndiaspora communities."
    assert lines_of(text, "split-link") == [1]


@pytest.mark.parametrize("text", [
    "See [the report](https://x.org).\n\n[Annex](https://x.org/b) follows.",
    "[One report](https://x.org/1)\n\n[Another report](https://x.org/2)",
    "See [the report](https://x.org)\n\nThe next paragraph starts a sentence.",
    # two different links side by side across a paragraph break, whatever the case after
    "Read the [full report](https://x.org/report)\n\n[Annex](https://x.org/annex) follows.",
    "Read the [full report](https://x.org/report)\n\n[annex two](https://x.org/annex) too.",
])
def test_split_link_near_misses(text: str) -> None:
    assert hits(text, "split-link") == []


@pytest.mark.parametrize("targets", [
    ("https://x.org/a", "https://x.org/a"),  # the halves of one link keep its target
    ("#", "https://x.org/a"), ("https://x.org/a", "#"), ("", "https://x.org/a"),
    ("https://x.org/a", ""),  # a lost target may be the other half's
])
def test_split_link_with_one_target_or_a_lost_one(targets: tuple[str, str]) -> None:
    text = (f"They draw attention to [harassment of Uyghur diaspora]({targets[0]})\n\n"
            f"[Communities]({targets[1]}) abroad.")
    assert lines_of(text, "split-link") == [1]


# --- boilerplate

@pytest.mark.parametrize("chrome", [
    "Skip to main content", "Accessibility links", "Breaking News", "Donate now",
    "Support our work", "Your tax deductible gift can help save lives.",
    "Region / Country", "Share this", "Sign up for our newsletter", "Advertisement",
    "Cookie settings", "We use cookies to improve your experience.", "Print", "UN Photo",
    "UN Photo/Jean-Marc Ferr\u00e9", "Photo credit: 'Road', Flickr/D. Stanley.",
])
def test_boilerplate_line_fires(chrome: str) -> None:
    found = hits(f"Body text here.\n\n  {chrome}  ", "boilerplate")
    assert [line for line, _ in found] == [3]
    assert chrome in found[0][1]


def test_boilerplate_related_block_to_the_end() -> None:
    text = "Body.\n\nRelated articles\n\nTeaser one\n\nTeaser two\n\n"
    assert hits(text, "boilerplate") == [
        (3, "page chrome: `Related articles` block, lines 3-7 (up to the end of the text)")]


def test_boilerplate_related_block_until_the_next_chrome() -> None:
    text = "Body.\nRelated stories\nTeaser one\n\nShare this"
    found = hits(text, "boilerplate")
    assert [line for line, _ in found] == [2, 5]
    assert "lines 2-3 (up to the chrome at line 5)" in found[0][1]


@pytest.mark.parametrize("prose", [
    "Skip to main content is the first link on the page.",
    "Related articles were published by the UN.",
    "Donate now, she urged the audience.",
    "We print the report in full.",
    "The photo was taken in Urumqi.",
    "The UN Photo library holds the picture.",
    "Breaking news from Geneva tonight.",
])
def test_boilerplate_ignores_prose(prose: str) -> None:
    assert hits(f"Body.\n\n{prose}", "boilerplate") == []


# --- the seed texts, read and counted by hand

SEED_EXPECTED: dict[str, dict[str, list[tuple[int, str]]]] = {
    "000_47ab86cb897dd57c": {
        "link-placeholder": [
            (3, "[UN | Rights body needs to step up on Xinjiang abuses](#)"),
            (9, "[UN High Commissioner for Human Rights](#)"),
            (9, "[UN Special rapporteur on counter-terrorism](#)"),
            (13, "[United Nations](#)"), (13, "[China](#)"),
            (13, "[call to action on human rights](#)"),
            (19, "[joint letter in July 2019](#)"), (19, "[concerns about the Xinjiang](#)"),
            (19, "[China Cables](#)"), (19, "[Karakax List](#)"),
            (21, "[forced labor in Xinjiang](#)"), (21, "[harassment of Uyghur diaspora](#)"),
            (23, "[communities](#)"), (25, "[misuse of deradicalisation initiatives](#)"),
            (29, "[Sarah M. Brooks](#)"), (39, "[available here](#)"),
        ],
        "replacement-glyph": [(11, "8 placeholder boxes")],
        "split-link": [(21, "continues at line 23")],
        "boilerplate": [(39, "Photo credit:")],
    },
    "001_ccd05f44f5e742bf": {
        "boilerplate": [(1, "Accessibility links"), (3, "Breaking News")],
        "duplicate-line": [(8, "repeats line 7")],
        "unbalanced-quote": [(20, "\u201cThe so-called genocide"), (47, "\"In the meantime")],
    },
    "002_7e9babe4acbbf5d0": {
        "boilerplate": [(1, "UN Photo"), (29, "lines 29-41 (up to the end of the text)")],
    },
    "003_a966f8499681abf0": {
        "boilerplate": [(1, "Skip to main content"), (19, "Your tax deductible gift"),
                        (21, "Region / Country")],
    },
    "004_d2786ee237b4bc83": {
        "unbalanced-quote": [(40, "\u201cThat\u2019s why I think")],
    },
}


@pytest.mark.parametrize("name", sorted(SEED_EXPECTED))
def test_seed(name: str) -> None:
    path = SEEDS / f"{name}.txt"
    if not path.is_file():
        pytest.skip(f"seed text {path} is not present")
    findings = scan_text(path.read_text(encoding="utf-8"), name)
    expected = SEED_EXPECTED[name]
    assert sorted({f.code for f in findings}) == sorted(expected)
    for code, wanted in expected.items():
        found = [(f.line, f.message) for f in findings if f.code == code]
        assert [line for line, _ in found] == [line for line, _ in wanted], code
        for (_, message), (_, fragment) in zip(found, wanted, strict=True):
            assert fragment in message


# _structural on paragraph keys: D is the duplicated paragraph, the letters others
@pytest.mark.parametrize(("keys", "first", "again", "count", "structural"), [
    (["P", "P", "D", "D"], 2, 3, 2, False),  # right after its original, whatever is before
    (["| a | b |", "x", "y", "| a | b |", "z"], 0, 3, 2, True),  # a table row
    (["D", "x", "y", "D", "z"], 0, 3, 3, True),  # three times or more
    (["D", "x", "y", "D", "z"], 0, 3, 2, False),  # a lone copy
    (["a", "D", "b", "q", "D", "c", "r", "b"], 1, 4, 2, False),  # no neighbour repeats
    (["x", "D", "b", "x", "D", "c"], 1, 4, 2, True),  # the paragraph before repeats with it
    (["a", "D", "y", "b", "D", "y"], 1, 4, 2, True),  # the paragraph after repeats with it
    (["a", "D", "b", "c", "z", "D", "e", "c"], 1, 5, 2, True),  # two after, one between
    (["c", "z", "D", "b", "c", "a", "D"], 2, 6, 2, True),  # two before, one between
])
def test_a_copy_is_structural_as_its_neighbours_say(keys: list[str], first: int, again: int,
                                                     count: int, structural: bool) -> None:
    assert damage._structural(keys, first, again, count) is structural
