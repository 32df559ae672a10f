"""WARC record headers: parse the named fields and judge them against the standard's grammar.

The header-judging half of check-warc. A field that breaks the grammar leaves the content
intact, so it makes the record non-conformant, not damaged; only a Content-Length that cannot
frame the block is corruption, since the records after it cannot be found by length.
"""

from __future__ import annotations

import re

# mandatory fields by lower-case key, the form ``fields`` has (a dict: its keys are a set)
_MANDATORY = {n.lower(): n for n in ("WARC-Record-ID", "Content-Length", "WARC-Date",
                                     "WARC-Type")}
_MANDATORY_TARGETED = {**_MANDATORY, "warc-target-uri": "WARC-Target-URI"}
_TARGETED = frozenset({"response", "request", "revisit", "resource"})
_TYPES = _TARGETED | {"warcinfo", "metadata", "conversion", "continuation"}  # tokens all
# WARC 1.1 section 5.4: W3C-ISO8601 to the second in UTC, a fraction of a second allowed;
# field ranges by pattern (not strptime: ten times slower, and this runs once per record)
_DATE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
                   r"T(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d{1,9})?Z")
_RECORD_ID = re.compile(r"<[^\s<>]+:[^\s<>]+>")  # "<" uri ">"
_FOLD = " \t"  # a line starting with one of these continues the field before it
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 2616 token


def parse_fields(block: bytes) -> tuple[dict[str, str], list[str]]:
    """WARC named fields by lower-case name (first occurrence wins), and unparsable lines."""
    fields: dict[str, str] = {}
    bad: list[str] = []
    last = None
    for line in block.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if name[:1] in _FOLD and name and last is not None:  # a folded continuation line
            fields[last] += " " + line.strip()
            continue
        key = name.strip().lower()
        if not sep or not key:
            bad.append(line)
            continue
        if key in fields:
            last = None
        else:
            last = key
            fields[key] = value.strip()
    return fields, bad


def content_length(fields: dict[str, str]) -> int | None:
    """The Content-Length as a byte count, or None if it is absent or not a number."""
    length = fields.get("content-length")
    return int(length) if length and length.isascii() and length.isdigit() else None


def judge_fields(fields: dict[str, str], length: int | None,
                 bad: list[str]) -> list[tuple[str, str]]:
    """(finding code, message) for each way the header breaks the standard; ``length`` is
    its ``content_length``. Once per record: the common case is a few lookups and two
    pattern matches."""
    found = []
    rtype = fields.get("warc-type")
    required = _MANDATORY_TARGETED if rtype in _TARGETED else _MANDATORY
    if not required.keys() <= fields.keys():
        missing = [name for key, name in required.items() if key not in fields]
        found.append(("warc-nonconformant", f"missing mandatory {', '.join(missing)}"))
    if length is None:
        if "content-length" in fields:
            found.append(("warc-corrupt", f"Content-Length {fields['content-length']!r} is not "
                          "a byte count"))
        found.append(("warc-corrupt", "its block cannot be located without a valid "
                      "Content-Length; skipped to the next WARC/ line"))
    date = fields.get("warc-date")
    if date is not None and not _DATE.fullmatch(date):
        found.append(("warc-nonconformant", f"WARC-Date {date[:40]!r} is not a UTC timestamp "
                      "of the form YYYY-MM-DDThh:mm:ssZ"))
    record_id = fields.get("warc-record-id")
    if record_id is not None and not _RECORD_ID.fullmatch(record_id):
        found.append(("warc-nonconformant",
                      f"WARC-Record-ID {record_id[:60]!r} is not of the form <uri>"))
    if rtype is not None and rtype not in _TYPES and not _TOKEN.fullmatch(rtype):
        found.append(("warc-nonconformant", f"WARC-Type {rtype[:40]!r} is not a token"))
    found += [("warc-corrupt", f"unparsable header line {line[:60]!r}") for line in bad]
    return found
