"""Checks of a source against its archived originals: WARC integrity, the manifest's claims
about each capture, and the fidelity of the text to the archived page (cached by hashes)."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from archiver import __version__
from archiver.cache import Cache
from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.fidelity.browserrecords import check_browser_records
from archiver.findings import Finding
from archiver.manifest import Capture, Extracted, Manifest
from archiver.warc.check import RecordInfo, WarcReport, check_capture_warc
from archiver.warc.records import (
    PayloadTooLargeError,
    WarcError,
    read_resource,
    read_response,
    response_from_record,
)
from archiver.warc.verdict import NONCONFORMANT

_CACHE_KIND = "fidelity"  # results in the cache, by _cache_key
# The comparison's rules, in the key besides archiver's version: a development build that
# changes what is reported (text-missing per text, link-altered) does not reuse old results.
_RULES = 4


def _record_key(record_id: str) -> str:
    return record_id.strip().strip("<>")


def _cross_check(capture: Capture, warc: WarcReport) -> list[Finding]:
    """Every record ID the manifest names is in the WARC with the right type; the response's
    target URI and payload digest are the ones the manifest recorded."""
    records: dict[str, RecordInfo] = {_record_key(k): v for k, v in warc.by_id.items()}
    where = capture.warc_path
    findings = []
    # an imported redirect hop may be stored as a revisit (its payload deduplicated)
    hop_kinds = ("response", "revisit") if capture.imported else ("response",)
    wanted = [(capture.request_record_id, ("request",)),
              (capture.response_record_id, ("response",))]
    for hop in capture.redirects:
        wanted += [(hop.request_record_id, ("request",)), (hop.response_record_id, hop_kinds)]
    if capture.imported and capture.imported.revisit:
        wanted.append((capture.imported.revisit.record_id, ("revisit",)))
    for record_id, kinds in wanted:
        if record_id is None:  # an imported WARC that holds no request for it
            continue
        record = records.get(_record_key(record_id))
        if record is None:
            findings.append(Finding("capture-record-missing",
                                    f"capture {capture.id}: no {kinds[0]} record {record_id}",
                                    path=where))
        elif record.record_type not in kinds:
            findings.append(Finding("capture-mismatch",
                                    f"capture {capture.id}: record {record_id} is a "
                                    f"{record.record_type}, not a {kinds[0]}", path=where))
    response = records.get(_record_key(capture.response_record_id))
    if response is not None:
        if response.target_uri != capture.final_url:
            findings.append(Finding("capture-mismatch",
                                    f"capture {capture.id}: the response is for "
                                    f"{response.target_uri}, the manifest says "
                                    f"{capture.final_url}", path=where))
        computed = capture.imported is not None and capture.imported.payload_digest_computed
        if (response.payload_digest or "").lower() != capture.payload_digest.lower() and not (
                computed and response.payload_digest is None):
            findings.append(Finding("capture-mismatch",
                                    f"capture {capture.id}: payload digest "
                                    f"{response.payload_digest} in the WARC, "
                                    f"{capture.payload_digest} in the manifest", path=where))
    return findings


def check_captures(manifest: Manifest, present: dict[str, Path | None],
                   checked: dict[str, WarcReport] | None = None) -> list[Finding]:
    """WARC integrity of every capture, and the manifest's claims about it.

    ``checked`` holds reports (by manifest path) of WARCs the caller has already checked,
    e.g. with ``check_warc(path, sha256=True)`` during fixity; the others are checked here.
    """
    findings: list[Finding] = []
    checked = dict(checked or {})
    reported: set[str] = set()  # WARCs whose findings are in ``findings`` already
    for capture in manifest.captures:
        if capture.http_status >= 400:
            findings.append(Finding("capture-http-error",
                                    f"capture {capture.id}: {capture.final_url} answered HTTP "
                                    f"{capture.http_status}", path=capture.warc_path))
        path = present.get(capture.warc_path)
        if path is None:
            continue  # missing or unsafe: reported by the fixity check
        if capture.warc_path not in reported:
            reported.add(capture.warc_path)
            if capture.warc_path not in checked:
                checked[capture.warc_path] = check_capture_warc(path)
            findings += [_accepted_at_import(capture, replace(f, path=capture.warc_path))
                         for f in checked[capture.warc_path].findings]
        findings += _cross_check(capture, checked[capture.warc_path])
        findings += check_browser_records(capture, checked[capture.warc_path].by_id)
    return findings


def _accepted_at_import(capture: Capture, finding: Finding) -> Finding:
    """A warc- or wacz-nonconformant finding a person accepted when the file was imported (its
    message among those recorded) stays listed, accepted: fixity binds it to those bytes."""
    accepted = capture.imported.nonconformant if capture.imported else None
    if (accepted is None or finding.code not in NONCONFORMANT
            or finding.message not in accepted.findings):
        return finding
    who = f" by {accepted.accepted_by}" if accepted.accepted_by else ""
    return replace(finding, accepted=f"accepted at import{who} ({accepted.accepted_at:%Y-%m-%d})")


def rendered_dom(path: Path, capture: Capture) -> bytes:
    """The rendered DOM a browser capture recorded (its ``urn:dom:`` record), which its text
    was extracted from; raise WarcError if it is missing or is not what the manifest says."""
    assert capture.browser is not None
    record = capture.browser.dom
    block = read_resource(path, record.record_id, member=capture.warc_member)
    if hashlib.sha256(block).hexdigest() != record.sha256:
        raise WarcError(capture.warc_path, f"capture {capture.id}: the DOM record "
                                           f"{record.record_id} is not the one recorded")
    return block


def original_html(path: Path, capture: Capture) -> tuple[bytes, str | None, str]:
    """The HTML a text of ``capture`` is judged against (the WARC at ``path``), its charset
    and the record it comes from: a browser capture's rendered DOM, else the response body.
    Raise ArchiverError if it cannot be read or is not HTML."""
    if capture.browser is not None:
        return rendered_dom(path, capture), "utf-8", capture.browser.dom.record_id
    response = read_response(path, capture.response_record_id, member=capture.warc_member,
                             stale_codings=capture.imported is not None)
    if not response.is_html:
        raise ArchiverError(capture.warc_path, f"the original is {response.media_type}, "
                                               "not HTML")
    return response.body, response.charset, capture.response_record_id


@dataclass(frozen=True)
class Fidelity:
    """The fidelity findings of a text and its score (None when it was not compared)."""

    findings: list[Finding]
    score: float | None


def original_capture(manifest: Manifest) -> Capture | None:
    """The capture a text is compared with: the one it was extracted from, else the latest
    successful one."""
    assert manifest.text is not None
    origin = manifest.text.origin
    if isinstance(origin, Extracted):
        return manifest.capture(origin.capture_id)
    usable = [c for c in manifest.captures if c.http_status < 400]
    return usable[-1] if usable else None


@functools.cache
def _installed_version() -> str:
    """trafilatura's installed version, from its package metadata: the same as
    ``trafilatura.__version__``, without importing it (a warm verify needs only the key);
    read once a process, as the key is made once a capture."""
    return metadata.version("trafilatura")


def _cache_key(text_rel: str, text_sha256: str, warc_sha256: str, capture: Capture,
               extractor: object) -> str:
    # the installed extractor draws the article's bounds when the recorded one is not
    # installed; the text's path, which the saved findings name (the cache is shared by
    # every collection of the user, where the same text may lie under another name)
    basis = json.dumps([__version__, _RULES, text_rel, text_sha256, warc_sha256,
                        capture.response_record_id, capture.page_url, extractor,
                        _installed_version()],
                       sort_keys=True, default=str)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def _cached(saved: bytes | None) -> Fidelity | None:
    """A saved result, or None if there is none or it is not one."""
    if saved is None:
        return None
    try:
        data = json.loads(saved)
        return Fidelity([Finding(**f) for f in data["findings"]], data["score"])
    except (ValueError, KeyError, TypeError):
        return None


def cached_results(cache: Cache) -> int:
    """How many fidelity results ``cache`` holds, for any collection: a run of more sources
    than that computes at least one."""
    return cache.count(_CACHE_KIND)


def check_text_fidelity(collection: Collection, manifest: Manifest, text: str,
                        present: dict[str, Path | None], *, use_cache: bool,
                        warcs: dict[str, WarcReport] | None = None) -> Fidelity:
    """Compare the stored text with the text re-derived from its archived original.

    A result is cached only when fixity proved every input unchanged: the key holds the
    text's and WARC's sha256, the record, the extractor with its options, the installed
    extractor's version and our version. The page's whole text, which the comparison reads
    as well as the article, is computed once per response and cached with that result.
    """
    if manifest.text is None or not manifest.captures:
        return Fidelity([], None)
    text_rel = manifest.text.path
    capture = original_capture(manifest)
    if capture is None:
        return Fidelity([Finding("fidelity-unverified",
                                 "no successful capture to compare the text with",
                                 path=text_rel)], None)
    warc = present.get(capture.warc_path)
    if warc is None:
        return Fidelity([Finding("fidelity-unverified",
                                 f"the WARC of capture {capture.id} is not available",
                                 path=text_rel)], None)
    origin = manifest.text.origin
    from archiver.fidelity.extract import installed_extractor  # trafilatura: when needed only

    extractor = origin.extractor if isinstance(origin, Extracted) else installed_extractor()
    text_entry, warc_entry = manifest.file(text_rel), manifest.file(capture.warc_path)
    assert text_entry is not None and warc_entry is not None
    cache = Cache.of(collection.root)
    key = _cache_key(text_rel, text_entry.sha256, warc_entry.sha256, capture,
                     extractor.model_dump())
    if use_cache and (cached := _cached(cache.get(_CACHE_KIND, key))) is not None:
        return cached
    try:
        if capture.browser is not None:  # judged against what the reader saw
            from archiver.fidelity.compare import check_fidelity

            body, charset, _ = original_html(warc, capture)
            result = check_fidelity(text, text_rel, body, capture.page_url, extractor, charset)
            return _saved(cache, key, result, use_cache)
        checked = (warcs or {}).get(capture.warc_path)
        records = {_record_key(k): v for k, v in checked.by_id.items()} if checked else {}
        record = records.get(_record_key(capture.response_record_id))
        imported = capture.imported is not None  # another tool's file: read as it meant it
        if record is not None and record.block_check == record.payload_check == "verified":
            # just verified: use that record as kept, or read it alone, without its digests
            response = (
                response_from_record(checked.kept, capture.response_record_id, warc,
                                     stale_codings=imported)
                if checked is not None and checked.kept is not None
                else read_response(warc, capture.response_record_id, offset=record.offset,
                                   check_digests=False, member=capture.warc_member,
                                   stale_codings=imported))
        else:
            response = read_response(warc, capture.response_record_id,
                                     member=capture.warc_member, stale_codings=imported)
        if not response.is_html:
            raise ArchiverError(capture.warc_path, f"the original is {response.media_type}, "
                                                   "not HTML")
        from archiver.fidelity.compare import check_fidelity  # rapidfuzz, lxml: when needed

        result = check_fidelity(text, text_rel, response.body, capture.page_url, extractor,
                                response.charset)
    except PayloadTooLargeError as exc:  # a bomb: said as such, not as "could not compare"
        return Fidelity([Finding("payload-too-large", exc.reason, path=capture.warc_path)], None)
    except ArchiverError as exc:
        return Fidelity([Finding("fidelity-unverified", str(exc), path=text_rel)], None)
    return _saved(cache, key, result, use_cache)


def _saved(cache: Cache, key: str, result: Any, use_cache: bool) -> Fidelity:
    """``result`` (a comparison's) as a Fidelity, cached under ``key`` if ``use_cache``."""
    if use_cache:
        data = {"findings": [{"code": f.code, "message": f.message, "path": f.path,
                              "line": f.line} for f in result.findings],
                "score": result.score}
        cache.put(_CACHE_KIND, key, json.dumps(data).encode("utf-8"))
    return Fidelity(result.findings, result.score)
