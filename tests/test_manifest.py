"""The manifest model: strict schema, safe paths, committed JSON Schema in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.cli import main
from archiver.manifest import (
    Claim,
    Manifest,
    ManifestError,
    PendingCapture,
    Status,
    dump_manifest,
    now,
    parse_manifest,
    schema_text,
)

ROOT = Path(__file__).resolve().parents[1]


def minimal(**extra: object) -> dict:
    data: dict = {"id": "src-1", "capture_pending": {"reason": "offline", "since": "2026-01-01"}}
    data.update(extra)
    return data


def parse(data: dict) -> Manifest:
    return parse_manifest(json.dumps(data).encode(), Path("manifests/src-1.json"))


def test_committed_schema_matches_the_model() -> None:
    committed = (ROOT / "manifests/schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run: archiver schema > manifests/schema.json"


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["additionalProperties"] is False
    assert printed["properties"]["schema_version"]["const"] == 1


def test_round_trip_is_stable() -> None:
    manifest = Manifest(id="x", capture_pending=PendingCapture(reason="r", since=now()))
    data = dump_manifest(manifest)
    assert dump_manifest(parse_manifest(data, Path("x.json"))) == data
    assert data.endswith(b"\n")


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "corpus/../../x",
                                 "corpus//x", "./corpus/x", "corpus\\x", "~/x", ""])
def test_paths_that_leave_the_collection_are_refused(bad: str) -> None:
    entry = {"path": bad, "sha256": "0" * 64, "size": 1, "media_type": "text/plain",
             "role": "text"}
    with pytest.raises(ManifestError) as info:
        parse(minimal(files=[entry]))
    assert info.value.unsafe
    assert str(info.value).startswith("manifests/src-1.json: files.0.path:")


def test_extra_fields_are_forbidden() -> None:
    with pytest.raises(ManifestError, match="extra_field: Extra inputs are not permitted"):
        parse(minimal(extra_field=1))


def test_wrong_schema_version_is_refused() -> None:
    with pytest.raises(ManifestError, match="schema_version"):
        parse(minimal(schema_version=2))


def test_a_source_without_captures_must_say_why() -> None:
    with pytest.raises(ManifestError, match="capture_pending"):
        parse({"id": "src-1"})


def test_claims_say_how_sure_they_are() -> None:
    with pytest.raises(ValueError, match="must not carry a value"):
        Claim(value="x", status=Status.UNKNOWN)
    with pytest.raises(ValueError, match="needs a value"):
        Claim(status=Status.CONFIRMED)
    manifest = parse(minimal(metadata={
        "published": {"value": "2022-08-31T18:36:00-04:00", "status": "confirmed"},
        "authors": {"value": [], "status": "confirmed", "note": "organisational release"},
    }))
    published = manifest.metadata.published.value
    assert published is not None and published.utcoffset() is not None  # type: ignore[union-attr]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ManifestError, match="published"):
        parse(minimal(metadata={"published": {"value": "2022-08-31T18:36:00",
                                              "status": "confirmed"}}))


def test_text_must_be_one_of_the_files() -> None:
    with pytest.raises(ManifestError, match=r"text\.path"):
        parse(minimal(text={"path": "corpus/x.txt",
                            "origin": {"kind": "received", "received_from": "me"}}))


# Real manifests: this repository's own collection, damaged the ways files are damaged.
REAL_MANIFESTS = sorted((ROOT / "manifests").glob("*.json"))
REAL_MANIFESTS = [p for p in REAL_MANIFESTS if p.name != "schema.json"]


@st.composite
def damaged_manifest(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(REAL_MANIFESTS)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert"]))
        at = draw(st.integers(0, len(data) - 1)) if data else 0
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        else:  # non-ASCII: UTF-8 of any character, or a byte that is never UTF-8
            data[at:at] = draw(st.one_of(st.characters().map(lambda c: c.encode("utf-8",
                                                                             "surrogatepass")),
                                         st.sampled_from([b"\xff", b"\xc3", b"\x80"])))
    return bytes(data)


@settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_manifest())
def test_a_damaged_manifest_is_an_error_never_a_crash(data: bytes) -> None:
    try:
        manifest = parse_manifest(data, Path("manifests/x.json"))
    except ManifestError as exc:
        assert exc.reason and "\n" not in exc.reason
    else:
        assert isinstance(manifest, Manifest)


@settings(max_examples=60, deadline=5000,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=damaged_manifest())
def test_verify_reports_a_damaged_manifest_as_findings(tmp_path: Path, data: bytes) -> None:
    from archiver.collection import Collection
    from archiver.findings import RULES
    from archiver.verify import check_source

    collection = Collection.init(tmp_path / "col") if not (tmp_path / "col").exists() \
        else Collection.open(tmp_path / "col")
    (collection.manifests_dir / "x.json").write_bytes(data)
    report = check_source(collection, "x", use_cache=False)
    assert all(f.code in RULES for f in report.findings)
    if not report.manifest_valid:
        assert [f.code for f in report.findings] in (["manifest-invalid"], ["path-unsafe"])
