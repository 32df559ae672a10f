"""A browser capture proved without a browser: every response it recorded is in its WARC with
the body's digest the manifest gives, and so are the records of what the page showed
(screenshots, DOM, text, page info)."""

from __future__ import annotations

from archiver.findings import Finding
from archiver.manifest import Capture
from archiver.warc.verdict import RecordInfo


def _key(record_id: str) -> str:
    return record_id.strip().strip("<>")


def check_browser_records(capture: Capture, by_id: dict[str, RecordInfo]) -> list[Finding]:
    """The manifest's account of a browser capture against its WARC's records (``by_id``,
    as check_warc read them, digests verified): each resource a response record of its URL
    whose payload digest is the body's sha256, each shown record a resource of its URN
    whose block digest is the manifest's sha256."""
    browser = capture.browser
    if browser is None:
        return []
    records = {_key(k): v for k, v in by_id.items()}
    where, findings = capture.warc_path, []

    def check(record_id: str, kind: str, uri: str, digest: str | None,
              info_digest: str) -> None:
        record = records.get(_key(record_id))
        if record is None:
            findings.append(Finding("capture-record-missing", f"capture {capture.id}: no "
                                    f"{kind} record {record_id} ({uri})", path=where))
            return
        found = getattr(record, info_digest)
        problem = None
        if record.record_type != kind:
            problem = f"is a {record.record_type}, not a {kind}"
        elif record.target_uri != uri:
            problem = f"is for {record.target_uri}, the manifest says {uri}"
        elif digest is not None and (found or "").lower() != f"sha256:{digest}":
            problem = f"holds {found}, the manifest says sha256:{digest}"
        if problem is not None:
            findings.append(Finding("capture-mismatch", f"capture {capture.id}: record "
                                    f"{record_id} {problem}", path=where))

    for resource in browser.resources:
        check(resource.record_id, "response", resource.url, resource.sha256, "payload_digest")
    for shown in (browser.screenshot, browser.full_page, browser.dom, browser.text,
                  browser.pageinfo):
        check(shown.record_id, "resource", shown.uri, shown.sha256, "block_digest")
    return findings
