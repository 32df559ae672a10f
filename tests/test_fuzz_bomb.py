"""Bounded memory on hostile content: a response body that inflates past the cap stops there
(each content coding), and a WARC holding such a bomb (written by warcio) is imported, verified
and reported with a ``payload-too-large`` finding. Peak memory: benchmarks/bench_bomb.py."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard
from bombs import URL, gzip_bomb, write_bomb

from archiver.cli import main
from archiver.warc.coding import MAX_DECODED, BodyTooLargeError, decode

INFLATED = MAX_DECODED + (8 << 20)  # just past the cap: the tests stay quick


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data, 9)


@pytest.mark.parametrize(("coding", "squeeze"), [
    ("gzip", None),
    ("deflate", _deflate),
    ("br", lambda data: brotli.compress(data, quality=1)),
    ("zstd", lambda data: zstandard.ZstdCompressor(level=1).compress(data)),
    ("gzip, gzip", None),
])
def test_each_coding_stops_at_the_limit(coding: str, squeeze) -> None:
    limit = 1 << 20
    body = gzip_bomb(16 << 20) if squeeze is None else squeeze(b" " * (16 << 20))
    if coding == "gzip, gzip":
        body = zlib.compress(body, 9, wbits=31)
    with pytest.raises(BodyTooLargeError, match=f"exceeds {limit} bytes"):
        decode([body], coding, limit)
    assert len(decode([body], coding, 16 << 21)) >= 16 << 20  # under the limit: whole


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bomb(tmp_path_factory.mktemp("bomb") / "bomb.warc", INFLATED)


def test_import_verify_and_report_of_a_bomb(bomb: Path, tmp_path: Path, capsys) -> None:
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    text = tmp_path / "t.txt"
    text.write_text("The page as received.\n", "utf-8")
    assert run(capsys, "add", str(text), "--root", str(root), "--id", "bomb", "--url", URL)[0] == 0
    code, _, err = run(capsys, "import", str(bomb), "--root", str(root), "--id", "bomb",
                       "--url", URL)
    [warc] = (root / "corpus" / "bomb").glob("*.warc")
    rel = warc.relative_to(root).as_posix()
    assert code == 0 and f"archiver: {rel}: warning payload-too-large: " in err
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "json", "--jobs", "1",
                       "--no-cache")
    findings = json.loads(out)["documents"][0]["findings"]
    assert code == 0 and [(f["code"], f["path"], f["severity"]) for f in findings] == [
        ("payload-too-large", rel, "warning")]
    assert f"exceeds {MAX_DECODED} bytes" in findings[0]["message"]
    code, _, _ = run(capsys, "verify", "--root", str(root), "--strict", "--jobs", "1")
    assert code == 1
    code, _, err = run(capsys, "report", "--root", str(root), "--output",
                       str(tmp_path / "r.html"), "--jobs", "1", "--no-cache")
    assert code == 0, err
    assert "payload-too-large" in (tmp_path / "r.html").read_text("utf-8")


def test_a_new_source_from_a_bomb_has_no_text(bomb: Path, tmp_path: Path, capsys) -> None:
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    code, out, err = run(capsys, "import", str(bomb), "--root", str(root), "--url", URL)
    assert code == 0 and "payload-too-large" in err and ", text " not in out
