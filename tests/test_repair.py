"""Repair: placeholders take the URL of the anchor in the aligned passage, or stay unresolved;
applying a plan rewrites the text and chains its history, in a real collection with a WARC."""

from __future__ import annotations

import io
import json
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.fidelity.compare import check_fidelity
from archiver.fidelity.extract import extract, installed_extractor
from archiver.fidelity.passages import LINK
from archiver.fidelity.repair import (
    apply_repairs,
    plan_source_repairs,
    propose_repairs,
    render_diff,
)
from archiver.fileio import sha256_bytes
from archiver.manifest import (
    Capture,
    FileEntry,
    FileRole,
    Manifest,
    Received,
    TextRecord,
    Tool,
    load_manifest,
    save_manifest,
)

URL = "https://news.example.org/2020/03/12/xinjiang.html"
BASE = "https://cdn.example.org/site/"
# With the absolute-links step a relative href resolves against <base href>, as a browser
# follows it; texts extracted without that step have trafilatura's rule (scheme and host only).
HOST = "https://news.example.org/"
REAL = Path(__file__).resolve().parents[2] / "shared" / "real-pages"

# The navigation has links named like body links; the page sets a <base href>; the last
# paragraph has two links with the same name.
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><base href="{BASE}">
<title>Rights body needs to step up on Xinjiang abuses</title></head>
<body>
<nav><a href="/nav/united-nations">United Nations</a> <a href="/nav/china">China</a>
<a href="/nav/reports">report</a></nav>
<article>
<h1>Rights body needs to step up on Xinjiang abuses</h1>
<p>The <a href="un/hrc">United Nations</a> Human Rights Council should address the worsening
human rights crisis in <a href="https://www.hrw.org/asia/china">China</a> as a matter of
priority, the groups said today.</p>
<p>Activists have also started to draw more attention to China's <a
href="reports/diaspora">harassment of Uyghur diaspora communities</a> abroad, including in
the United States and in UN fora.</p>
<p>The statement lists a <a href="docs/2019.pdf">report</a> from 2019 and a second
<a href="docs/2020.pdf">report</a> from 2020 that document the abuses in detail.</p>
</article>
<footer><a href="/about">About us</a> Copyright Example News</footer>
</body></html>""".encode()

TEXT = """Rights body needs to step up on Xinjiang abuses

The [United Nations](#) Human Rights Council should address the worsening human rights crisis \
in [China](#) as a matter of priority, the groups said today.

Activists have also started to draw more attention to China's [harassment of Uyghur diaspora](#)

[communities](#) abroad, including in the United States and in UN fora.

The statement lists a [report](#) and a second report from 2020 that document the abuses in \
detail.

Donate now (#) to support our work"""

REPAIRED = """Rights body needs to step up on Xinjiang abuses

The [United Nations](https://cdn.example.org/site/un/hrc) Human Rights Council should address \
the worsening human rights crisis in [China](https://www.hrw.org/asia/china) as a matter of \
priority, the groups said today.

Activists have also started to draw more attention to China's \
[harassment of Uyghur diaspora](https://cdn.example.org/site/reports/diaspora)

[communities](https://cdn.example.org/site/reports/diaspora) abroad, including in the United \
States and in UN fora.

The statement lists a [report](#) and a second report from 2020 that document the abuses in \
detail.

Donate now (#) to support our work"""


def test_placeholders_take_the_aligned_anchors_url() -> None:
    plan = propose_repairs(TEXT, PAGE, URL, installed_extractor())
    assert [(e.line, e.before, e.url) for e in plan.edits] == [
        (3, "[United Nations](#)", BASE + "un/hrc"),  # not the navigation's link
        (3, "[China](#)", "https://www.hrw.org/asia/china"),
        (5, "[harassment of Uyghur diaspora](#)", BASE + "reports/diaspora"),
        (7, "[communities](#)", BASE + "reports/diaspora"),  # both halves of the split link
    ]
    assert plan.edits[0].evidence == "/html/body/article/p[1]/a[1]"
    assert plan.edits[3].evidence == "/html/body/article/p[2]/a"
    assert plan.apply(TEXT) == REPAIRED


def test_texts_extracted_before_the_absolute_links_step_keep_the_extractors_rule() -> None:
    # a manifest made before the step re-derives without it: the URLs its text would have are
    # trafilatura's, joined to the page's scheme and host, and repair gives those
    older = installed_extractor().model_copy(update={"preprocessing": ["collapse-whitespace"]})
    plan = propose_repairs(TEXT, PAGE, URL, older)
    assert [e.url for e in plan.edits] == [HOST + "un/hrc", "https://www.hrw.org/asia/china",
                                           HOST + "reports/diaspora", HOST + "reports/diaspora"]


def test_ambiguous_and_unmatchable_placeholders_are_not_guessed() -> None:
    plan = propose_repairs(TEXT, PAGE, URL, installed_extractor())
    assert [(u.line, u.text) for u in plan.unresolved] == [(9, "[report](#)"), (11, "(#)")]
    ambiguous, bare = plan.unresolved
    # "report" links twice, to two targets, and the words after this one changed
    assert "ambiguous: 2 different links" in ambiguous.reason
    assert "not a link at that place in the original" in bare.reason


def test_placeholder_in_an_added_passage_is_unresolved() -> None:
    text = TEXT + "\n\nSee the [United Nations](#) page for more on this."
    plan = propose_repairs(text, PAGE, URL, installed_extractor())
    assert plan.unresolved[-1].line == 13
    assert "not in the original" in plan.unresolved[-1].reason


def test_render_diff_is_a_unified_diff() -> None:
    plan = propose_repairs(TEXT, PAGE, URL, installed_extractor())
    diff = render_diff(plan, TEXT, "corpus/x.txt")
    assert diff.startswith("--- a/corpus/x.txt\n+++ b/corpus/x.txt\n")
    assert "-[communities](#) abroad" in diff
    assert "+[communities](https://cdn.example.org/site/reports/diaspora) abroad" in diff


def write_warc(path: Path, url: str, body: bytes) -> tuple[str, str, str]:
    """Write a gzipped request+response WARC; return (request id, response id, payload digest)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                            protocol="HTTP/1.1")
    response = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                         http_headers=http)
    request = writer.create_warc_record(
        url, "request", payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example.org")],
                                      is_http_request=True),
    )
    writer.write_record(request)
    writer.write_record(response)
    path.write_bytes(buffer.getvalue())
    return (request.rec_headers.get_header("WARC-Record-ID"),
            response.rec_headers.get_header("WARC-Record-ID"),
            response.rec_headers.get_header("WARC-Payload-Digest"))


@pytest.fixture
def source(tmp_path: Path) -> tuple[Collection, Manifest]:
    """A collection holding one source: its damaged text and a WARC of the original."""
    collection = Collection.init(tmp_path / "coll")
    warc = collection.corpus_dir / "src.warc.gz"
    request_id, response_id, digest = write_warc(warc, URL, PAGE)
    text = collection.corpus_dir / "src.txt"
    text.write_bytes(TEXT.encode())
    warc_bytes = warc.read_bytes()
    manifest = Manifest(
        id="src",
        files=[
            FileEntry(path="corpus/src.txt", sha256=sha256_bytes(TEXT.encode()),
                      size=len(TEXT.encode()), media_type="text/markdown", role=FileRole.TEXT),
            FileEntry(path="corpus/src.warc.gz", sha256=sha256_bytes(warc_bytes),
                      size=len(warc_bytes), media_type="application/warc", role=FileRole.WARC),
        ],
        text=TextRecord(path="corpus/src.txt", origin=Received(received_from="a reader")),
        captures=[Capture(
            id="c1", requested_url=URL, final_url=URL, warc_path="corpus/src.warc.gz",
            warc_sha256=sha256_bytes(warc_bytes), request_record_id=request_id,
            response_record_id=response_id,
            captured_at=datetime(2026, 11, 1, tzinfo=UTC), http_status=200,
            content_type="text/html; charset=utf-8", payload_digest=digest,
            tool=Tool(name="warcio", version="test"),
        )],
    )
    save_manifest(collection.manifest_path("src"), manifest)
    return collection, manifest


def test_apply_repairs_rewrites_text_and_chains_history(
    source: tuple[Collection, Manifest],
) -> None:
    collection, manifest = source
    plan, evidence = plan_source_repairs(collection, manifest)
    response_id = manifest.captures[0].response_record_id
    assert evidence == f"corpus/src.warc.gz#{response_id}"
    updated = apply_repairs(collection, manifest, plan, evidence, by="Ana")

    # the text as it was stays; the repaired text is a new version
    assert (collection.corpus_dir / "src.txt").read_text() == TEXT
    assert (collection.corpus_dir / "src.v2.txt").read_text() == REPAIRED
    saved = load_manifest(collection.manifest_path("src"))
    assert saved == updated
    assert saved.text is not None and saved.text.path == "corpus/src.v2.txt"
    entry = saved.file("corpus/src.v2.txt")
    assert entry is not None
    assert (entry.sha256, entry.size) == (sha256_bytes(REPAIRED.encode()), len(REPAIRED.encode()))
    (history,) = saved.history
    assert history.action == "repaired"
    assert (history.path, history.previous_path) == ("corpus/src.v2.txt", "corpus/src.txt")
    assert history.sha256_before == sha256_bytes(TEXT.encode())
    assert history.sha256_after == entry.sha256
    assert [c.line for c in history.changes] == [3, 5, 7]
    assert history.changes[2].before == "[communities](#) abroad, including in the United " \
        "States and in UN fora."
    assert history.changes[2].after.startswith("[communities](https://cdn.example.org/site/")
    assert all(c.evidence == evidence for c in history.changes)
    assert history.by == "Ana" and history.tool == Tool(name="archiver", version=__version__)
    assert history.chain_sha256 == sha256_bytes(b"src")  # the first entry: the source id's


def test_apply_refuses_a_text_that_changed_since_its_manifest(
    source: tuple[Collection, Manifest],
) -> None:
    collection, manifest = source
    plan, evidence = plan_source_repairs(collection, manifest)
    text_path = collection.corpus_dir / "src.txt"
    text_path.write_bytes(TEXT.replace("today", "Today").encode())
    with pytest.raises(ArchiverError, match="does not match its manifest hash"):
        apply_repairs(collection, manifest, plan, evidence)
    assert load_manifest(collection.manifest_path("src")).history == []


def test_apply_refuses_a_plan_made_for_another_text(source: tuple[Collection, Manifest]) -> None:
    collection, manifest = source
    stale = propose_repairs(TEXT + "\n", PAGE, URL, installed_extractor())
    with pytest.raises(ArchiverError, match="another version"):
        apply_repairs(collection, manifest, stale, "corpus/src.warc.gz#x")
    assert (collection.corpus_dir / "src.txt").read_text() == TEXT


def test_anchor_without_target_in_the_original_is_unresolved() -> None:
    page = (b"<html><body><article><p>The council published its findings in a long report, "
            b"which you can <a href='#'>read in full</a> on the website of the council.</p>"
            b"</article></body></html>")
    text = ("The council published its findings in a long report, which you can "
            "[read in full](#) on the website of the council.")
    plan = propose_repairs(text, page, URL, installed_extractor())
    assert plan.edits == []
    assert [(u.line, u.text) for u in plan.unresolved] == [(1, "[read in full](#)")]
    assert "no target in the original" in plan.unresolved[0].reason


def damage(text: str, seed: str, styles: tuple[str, ...] = ("#", "")) -> tuple[str, list[str]]:
    """The text with every link's target lost (`#`, empty, or a bare `(#)` after its words,
    chosen by a seeded RNG), and the targets lost, in order."""
    rng = random.Random(seed)
    lost: list[str] = []

    def lose(m: re.Match[str]) -> str:
        if m.group(2).strip("<>") in ("", "#"):
            return m.group()
        lost.append(m.group(2).strip("<>"))
        style = rng.choice(styles)
        return f"{m.group(1)} (#)" if style == "bare" else f"[{m.group(1)}]({style})"

    return "\n".join(LINK.sub(lose, line) for line in text.split("\n")), lost


# Links next to punctuation, inside quotation marks of every style, several in one line, a
# name with an initial, and the same words linked twice to two targets.
SHAPES = """<html><body><article>
<p>The coalition issued a '<a href="/cta">call to action on human rights</a>,' said
<a href="/staff/brooks">Sarah M. Brooks</a>, who leads the <a href="/asia">Asia</a> team.</p>
<p>Delegates cited "<a href="/hrc/51">the council's report</a>" and
\u201c<a href="/ohchr/xinjiang">the OHCHR assessment</a>\u201d, then
\u2018<a href="/un/sg">the Secretary-General</a>\u2019 and <a href="/j/smith">J. R. Smith</a>.</p>
<p>Read the <a href="/docs/2019.pdf">report</a> on detention camps in 2019 and the second
<a href="/docs/2020.pdf">report</a> on forced labour in 2020 before the session opens.</p>
</article></body></html>""".encode()


@pytest.mark.parametrize("styles", [("#",), ("",), ("bare",)])
def test_every_shape_of_link_takes_the_original_texts_url(styles: tuple[str, ...]) -> None:
    original = extract(SHAPES, URL).text
    damaged, lost = damage(original, "shapes", styles)
    assert len(lost) == 9
    plan = propose_repairs(damaged, SHAPES, URL, installed_extractor())
    assert plan.unresolved == []
    # the same words linked twice ("report") each take their own target, by position
    assert [e.url for e in plan.edits] == lost
    assert plan.apply(damaged) == original


def test_link_words_compare_across_quotation_styles_and_spacing() -> None:
    original = extract(SHAPES, URL).text
    damaged, lost = damage(original, "quotes")
    # another tool's quotation marks: straight for curly, curly for straight
    restyled = damaged.translate(str.maketrans("\u201c\u201d\u2018\u2019\"'", "\"\"''\u201c\u2019"))
    plan = propose_repairs(restyled, SHAPES, URL, installed_extractor())
    assert (plan.unresolved, [e.url for e in plan.edits]) == ([], lost)


def test_same_words_two_targets_unsure_place_stays_unresolved() -> None:
    # the words after the first "report" changed: its place is not sure, and "report" links
    # to two targets, so it stays; the second keeps its words on both sides and its order
    text = ("Read the [report](#) before the session opens and the second [report](#) "
            "on forced labour in 2020.")
    plan = propose_repairs(text, SHAPES, URL, installed_extractor())
    assert [(e.column, e.url) for e in plan.edits] == [(61, HOST + "docs/2020.pdf")]
    assert [u.text for u in plan.unresolved] == ["[report](#)"]
    assert plan.unresolved[0].reason.startswith("ambiguous: 2 different links")


def test_bare_placeholder_without_the_links_words_stays_unresolved() -> None:
    text = "Read the (#) on detention camps in 2019."
    plan = propose_repairs(text, SHAPES, URL, installed_extractor())
    assert plan.edits == []
    assert "not a link at that place" in plan.unresolved[0].reason


REAL_PAGES = ["aljazeera.com-42aad16b.html", "en.wikipedia.org-10cef2b5.html",
              "sputniknews.com-1f765c48.html", "polygraph.info-1ee91d1f.html",
              "viehbacher.com-d143b944.html"]


@pytest.mark.parametrize("name", REAL_PAGES)
def test_real_page_every_link_lost_is_restored_never_wrongly(name: str) -> None:
    # wikipedia: footnote links of symbols only and protocol-relative hrefs; sputniknews: a
    # relative href; polygraph: a target ending in "#"; viehbacher: a <base href>
    sources = json.loads((REAL / "sources.json").read_text())
    html = (REAL / "pages" / name).read_bytes()
    extraction = extract(html, sources[name]["original_url"])
    damaged, lost = damage(extraction.text, name, ("#", "", "bare"))
    plan = propose_repairs(damaged, html, sources[name]["original_url"], extraction.extractor,
                           extraction.charset)
    links = {(text, url.strip("<>")) for text, url in LINK.findall(extraction.text)}
    wrong = [e for e in plan.edits if (e.after[1:].split("](")[0], e.url) not in links]
    assert wrong == []
    assert len(plan.edits) + len(plan.unresolved) == len(lost)
    assert len(plan.edits) >= 0.8 * len(lost)
    if len(plan.edits) == len(lost):
        assert plan.apply(damaged) == extraction.text
    # every link repair restores is the original's at that place
    findings = check_fidelity(plan.apply(damaged), "t.txt", html, sources[name]["original_url"],
                              extraction.extractor).findings
    assert [f for f in findings if f.code == "link-altered"] == []


def test_repair_of_a_deleted_text_is_one_line(source: tuple[Collection, Manifest]) -> None:
    collection, manifest = source
    (collection.corpus_dir / "src.txt").unlink()
    with pytest.raises(ArchiverError, match="cannot read"):
        plan_source_repairs(collection, manifest)


def test_passage_the_extractor_left_out_is_repaired_from_the_pages_anchors() -> None:
    # another tool kept the sidebar's paragraph: no passage of the re-extracted text has it,
    # so its block in the page (lxml) gives the anchor; the navigation's links play no part
    page = PAGE.replace(b"</article>", b'</article><div class="sidebar"><p>Related reading: '
                        b'the <a href="/annual">annual report</a> of the monitors on detention '
                        b"in the region.</p></div>")
    assert "annual" not in extract(page, URL).text
    text = TEXT + ("\n\nRelated reading: the [annual report](#) of the monitors on detention "
                   "in the region.")
    plan = propose_repairs(text, page, URL, installed_extractor())
    last = plan.edits[-1]
    assert (last.line, last.url, last.evidence) == (13, "https://cdn.example.org/annual",
                                                    "/html/body/div/p/a")


# A link glued to the next word: `MacBook</a></span>s` (gizmodo.com) and `Ninja Brick</a>, en`,
# which trafilatura writes `[Ninja Brick,](url)en` (soundofscience.fr).
@pytest.mark.parametrize(("name", "glued"), [
    ("gizmodo.com-5fa5679d.html", "repairs for all MacBook]("),
    ("soundofscience.fr-ec4bc9b7.html", "[Ninja Brick,]("),
])
@pytest.mark.parametrize("form", ["[{}](#)", "[{}]()", "{} (#)"])
def test_a_link_glued_to_the_next_word_is_restored_as_it_was(name: str, glued: str,
                                                             form: str) -> None:
    url = json.loads((REAL / "sources.json").read_text())[name]["original_url"]
    html = (REAL / "pages" / name).read_bytes()
    extraction = extract(html, url)
    link = next(m for m in LINK.finditer(extraction.text) if glued in m.group())
    assert re.match(r"\w", extraction.text[link.end():])  # glued to the next word, as on the page
    damaged = (extraction.text[: link.start()] + form.format(link.group(1))
               + extraction.text[link.end():])
    plan = propose_repairs(damaged, html, url, extraction.extractor, extraction.charset)
    assert plan.unresolved == [] and len(plan.edits) == 1
    assert plan.apply(damaged) == extraction.text
    assert check_fidelity(plan.apply(damaged), "t.txt", html, url,
                          extraction.extractor).findings == []


def test_repair_with_nothing_to_do_says_so(source: tuple[Collection, Manifest], capsys) -> None:
    """A text whose links all kept their targets: repair says so in one line, exit 0."""
    from archiver.cli import main

    collection, manifest = source
    whole = "Rights body needs to step up on Xinjiang abuses\n"
    (collection.corpus_dir / "src.txt").write_text(whole, encoding="utf-8")
    manifest.files[0] = manifest.files[0].model_copy(update={
        "sha256": sha256_bytes(whole.encode()), "size": len(whole.encode())})
    save_manifest(collection.manifest_path("src"), manifest)
    capsys.readouterr()
    assert main(["repair", "src", "--root", str(collection.root)]) == 0
    out, err = capsys.readouterr()
    assert out == ""  # no diff
    assert err == "nothing to repair: no link in corpus/src.txt lost its target\n"
