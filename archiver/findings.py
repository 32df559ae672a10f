"""Finding codes (a public interface, like a linter's rules) and the Finding record."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """Errors fail ``verify``; warnings are flagged for repair (and fail only with --strict)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Rule:
    """One stable finding code with its severity, one-line meaning and how to fix it."""

    code: str
    severity: Severity
    meaning: str
    fix: str


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        # --- collection and manifest integrity
        Rule("manifest-invalid", _E, "A manifest is not valid JSON or breaks the schema.",
             "Correct the named field; `archiver schema` prints the schema."),
        Rule("path-unsafe", _E,
             "A manifest path leaves the collection (absolute, `..`, or a symlink out), or a "
             "folder of the collection's own (`manifests/`, `corpus/`, `seals/`, `keys/`) is "
             "a symlink; no command writes through it.",
             "Use a relative POSIX path inside the collection; replace symlinks by files."),
        Rule("file-missing", _E, "A file named in a manifest does not exist.",
             "Restore the file from a backup; never recreate it by hand."),
        Rule("hash-mismatch", _E,
             "A file's size or sha256 differs from its manifest: it changed silently.",
             "Restore the original from a backup, or record the change through a tool."),
        Rule("file-unreferenced", _E, "A file under `corpus/` that no manifest names.",
             "Register it with `archiver add`, or remove it."),
        Rule("file-claimed-twice", _E, "Two manifests claim the same file.",
             "Each file belongs to one source: remove the claim from the wrong manifest."),
        Rule("journal-invalid", _E,
             "A file named like a run's journal lists a file its run did not make (a "
             "manifest, seal, key, recorded text, or a file outside `corpus/`).",
             "Nothing it lists is removed; find out who put it there, then delete it."),
        Rule("temp-file", _W, "A temporary file left by an interrupted write.",
             "Nothing was recorded from it; delete it."),
        Rule("text-undecodable", _E, "A text file is not valid UTF-8, so it cannot be checked.",
             "Re-derive the text from its capture, or convert it and record the change."),
        # --- history: every change through the tool, chained by sha256
        Rule("history-broken", _E,
             "A manifest's history does not chain: an entry was removed, reordered, inserted "
             "or altered (its `chain_sha256` or `history_head` does not match, or the latest "
             "seal holds another sha256 for the entries it sealed), or an entry's old state "
             "is not the one the history last recorded (a text version's `sha256_before`, a "
             "`set` entry's old claim, the state an entry starts from), or an entry claims "
             "what its action cannot do (a file brought in twice: a version overwritten).",
             "Restore the manifest from a backup; the history cannot be repaired in place."),
        Rule("history-mismatch", _E,
             "A manifest's present state is not the one its history records: a file's sha256, "
             "a file no entry records, a recorded file no longer listed, `text.path` not the "
             "latest text version, a metadata field not the value last `set`, any claim, "
             "capture or file entry not as the last entry's recorded state.",
             "Restore the manifest from a backup, then make the change with `archiver edit`, "
             "`set` or `withdraw`."),
        # --- text damage (flagged for repair)
        Rule("link-placeholder", _W,
             "A link whose target was lost: `[text](#)`, `[text]()`, `(#)`.",
             "`archiver repair ID` restores targets from the archived original."),
        Rule("replacement-glyph", _W,
             "U+FFFD or a run of placeholder boxes (U+25A1 and similar): characters were lost.",
             "Restore the passage from the archived original."),
        Rule("mojibake", _W, "UTF-8 text that was decoded as cp1252/latin-1 (e.g. `â€™`).",
             "Re-derive the text from its capture with the right charset."),
        Rule("duplicate-line", _W,
             "A line repeats an earlier line word for word (right after it, or once elsewhere; "
             "table rows, lines repeated three times or more and recurring sections are not).",
             "Remove the copy, or accept it if the source repeats itself."),
        Rule("unbalanced-quote", _W,
             "A quotation is opened and never closed, or closed with the wrong mark.",
             "Check the quotation against the archived original."),
        Rule("split-link", _W, "One link broken across a paragraph break.",
             "Join the two halves; `archiver repair` gives both halves the one URL."),
        Rule("boilerplate", _W,
             "Page chrome in the text: navigation, donation appeals, `Related articles`.",
             "Remove it, recording the edit, or accept it."),
        # --- captures
        Rule("capture-pending", _W, "The source has no archived original yet.",
             "`archiver capture --id ID` (or `--pending`) when the page can be fetched."),
        Rule("capture-http-error", _W, "The archived capture is an HTTP 4xx or 5xx response.",
             "Capture the page again, or from a mirror."),
        Rule("text-not-extracted", _W,
             "A capture holds no extractable text (not HTML, or empty): the source has no text.",
             "Add the text by hand with `archiver add`, or capture an HTML version."),
        Rule("capture-record-missing", _E,
             "A record ID that the manifest names is not in its WARC.",
             "Restore the WARC from a backup; the manifest and WARC disagree."),
        Rule("capture-mismatch", _E,
             "The WARC's response disagrees with the manifest (target URI or payload digest).",
             "Restore the WARC from a backup; the manifest and WARC disagree."),
        # --- a browser capture replayed (verify --replay)
        Rule("replay-failed", _E, "A browser capture could not be replayed in pywb at all.",
             "Read the message: the WARC may be damaged, or the page never loads in replay."),
        Rule("replay-request-escaped", _E,
             "In replay, the page asked a server outside the archive (the request was refused).",
             "The capture misses what the page fetches at run time; capture it again."),
        Rule("replay-resource-missing", _E,
             "A resource recorded 2xx/3xx at capture is not served by the replay.",
             "Restore the WARC from a backup; the manifest and WARC disagree."),
        Rule("replay-text-differs", _E,
             "The replayed page's text differs from the text recorded at capture.",
             "The capture does not hold what its text needs; read the lines named."),
        Rule("replay-screenshot-differs", _W,
             "The replayed page's screenshot differs from the one recorded at capture.",
             "Compare the two screenshots; a different browser version explains small shares."),
        # --- fidelity of the text to its archived original
        Rule("text-added", _W, "A passage of the text that is nowhere on the archived page.",
             "Remove it (page chrome, spliced headline), recording the edit."),
        Rule("text-outside-article", _W,
             "A third of the text or more is on the archived page but outside its article "
             "(sidebars, teasers, comments); a kept headline, caption or byline is not.",
             "Nothing was invented; remove it if it is not the article's, or accept it."),
        Rule("text-missing", _W,
             "Prose of the original article that the text lacks (one finding per text, with "
             "each place); headings, link-only lines, labels and the headline do not count.",
             "Restore it from the original."),
        Rule("text-altered", _W,
             "A passage whose words or punctuation differ from the original's (a word or "
             "clause changed, a sentence's end cut, a stray mark).",
             "Restore the original wording."),
        Rule("quote-altered", _E,
             "Words inside quotation marks that are not verbatim in the original.",
             "Restore the quotation verbatim: a misquote is the worst damage."),
        Rule("link-lost", _W, "The original has a link where the text has plain words.",
             "Restore the link from the original."),
        Rule("link-altered", _E,
             "A link of the text goes elsewhere than the original's link at the same place.",
             "Restore the original's target: `archiver repair` restores only lost ones."),
        Rule("fidelity-unverified", _W,
             "The text could not be compared with its original (no usable response, a page "
             "without text, or an extractor archiver cannot run).",
             "Capture the page again, or install an archiver that runs the recorded extractor."),
        Rule("payload-too-large", _W,
             "A response body decodes to more than 64 MiB (a compression bomb, or no page): "
             "decoding stopped there, so its text was neither extracted nor compared.",
             "Look at the record with a WARC tool; accept the finding if the body is genuine."),
        # --- WARC integrity
        Rule("warc-truncated", _E,
             "A WARC record or file is cut short (fewer bytes than declared).",
             "Restore the WARC from a backup or capture again."),
        Rule("warc-corrupt", _E, "A WARC file cannot be decompressed or parsed.",
             "Restore the WARC from a backup or capture again."),
        Rule("warc-digest-mismatch", _E, "A record's block or payload digest does not match.",
             "Restore the WARC from a backup or capture again."),
        Rule("warc-unverified", _W, "A record carries no digest, so its content was not verified.",
             "Nothing to repair; its fixity rests on the manifest's sha256 of the file."),
        Rule("warc-nonconformant", _E,
             "The WARC's content is intact but its framing or headers break the standard "
             "(a trailer of one CRLF or counted in Content-Length, HTTP headers without "
             "their blank line, one gzip member for many records, reserved gzip flags, a "
             "missing, duplicated or malformed mandatory field).",
             "Rewrite the WARC with a conformant tool, keeping the original alongside."),
        Rule("warc-empty", _W, "A WARC file holds no record at all.",
             "Capture again; an empty file proves nothing about the page."),
        Rule("warc-unrecognised", _E, "A capture's file is not a WARC, ARC or WACZ file.",
             "Restore the WARC from a backup; the manifest names the wrong file."),
        # --- WACZ packages
        Rule("wacz-invalid", _E,
             "A WACZ is not a readable zip, or lacks datapackage.json, its digest file "
             "or an index.",
             "Package the WARCs again with a WACZ tool, or restore the WACZ from a backup."),
        Rule("wacz-nonconformant", _E,
             "A WACZ whose content is all there and checks, but whose package breaks the "
             "current WACZ spec: no pages file (py-wacz 0.6), a WACZ 1.0.0 package without "
             "datapackage-digest.json.",
             "Package the WARCs again with a current WACZ tool, keeping the original alongside."),
        Rule("wacz-file-missing", _E, "A file that datapackage.json lists is not in the WACZ.",
             "Restore the WACZ from a backup."),
        Rule("wacz-file-unlisted", _E,
             "A file in the WACZ that datapackage.json does not list, so no hash vouches for "
             "it.",
             "Restore the WACZ from a backup, or package the WARCs again with a WACZ tool."),
        Rule("wacz-entry-duplicate", _E,
             "A WACZ holds two zip entries of the same name: tools differ on which one they "
             "read, so what is checked may not be what is replayed or unpacked.",
             "Restore the WACZ from a backup, or package the WARCs again with a WACZ tool."),
        Rule("wacz-entry-unsafe", _E,
             "A WACZ entry name leaves the package when unpacked (absolute, a drive letter, "
             "a backslash or a `..` part).",
             "Do not unpack it; restore the WACZ from a backup."),
        Rule("wacz-archive-not-warc", _E,
             "A file under a WACZ's `archive/` is not a WARC (empty, an ARC, a zip, or other "
             "bytes), so nothing in it is checked as a WARC record.",
             "Restore the WACZ from a backup, or package the WARCs again with a WACZ tool."),
        Rule("wacz-hash-mismatch", _E,
             "A file in the WACZ, or datapackage.json itself, differs in size or sha256 from "
             "what the WACZ records for it.",
             "Restore the WACZ from a backup."),
        # --- WACZ signatures (wacz-auth)
        Rule("wacz-signature-invalid", _E,
             "A WACZ's signedData does not verify: the signature, its hash of "
             "datapackage.json, its certificate or its timestamp is wrong.",
             "Ask its maker for the WACZ as signed; a signature that fails proves nothing."),
        # --- custody: keys, seals and timestamps
        Rule("seal-invalid", _E,
             "A seal whose signature does not verify, whose key `keys/` does not hold, whose "
             "chain link is broken (a seal removed, or two seals forking), or whose bytes are "
             "not its canonical statement; a file in `keys/` that is no public key; a file "
             "where the folder `keys/` or `seals/` belongs.",
             "Restore `seals/` and `keys/` from a backup; a seal is never rewritten."),
        Rule("timestamp-invalid", _E,
             "A seal's RFC 3161 token whose signature fails, whose message imprint is not the "
             "seal's, whose TSA certificate was changed (ESS certificate ID) or whose chain "
             "does not verify at its genTime; a token removed, added or replaced since "
             "sealing (`tokens.json`), or with a genTime before the seal's `sealed_at` or the "
             "previous seal's token (beyond 10 minutes of clock skew).",
             "Restore the seal from a backup; a token cannot be made again for a past time."),
        Rule("timestamp-untrusted", _E,
             "A seal's token whose chain ends at no TSA root the verifier trusts (`--tsa-ca`, "
             "the trust file, else the certifi bundle); `tsa-N.pem` in the collection only "
             "supplies intermediates.",
             "Obtain the TSA's root from the TSA itself, compare its sha256, and give it with "
             "`--tsa-ca`."),
        Rule("seal-untrusted", _E,
             "A seal signed by a key the verifier has not pinned (`--trust-key`, the trust "
             "file), while it pins others: anyone can make a key of the same name.",
             "Obtain the signer's fingerprint from the signer, not the collection, and pin it "
             "with `--trust-key`."),
        Rule("seal-unpinned", _W,
             "Seals by a key while the verifier pins no key at all: the collection could have "
             "been re-sealed under a new key of the same name.",
             "Pin the signer's fingerprint, obtained from them: `verify --trust-key sha256:…`."),
        Rule("seal-rollback", _E,
             "A seal known from outside the collection (`--expect-seal`, or the newest one an "
             "earlier verify of this folder or chain recorded in the trust file) is not in "
             "the chain: seals were removed from its end, or re-made.",
             "Restore `seals/` from a backup; a copy that is older says so."),
        Rule("unsealed-change", _W,
             "A manifest or file that differs from the latest seal: a warning when history "
             "entries appended since account for it, an error otherwise (a sealed file "
             "changed, or the history, state or acceptances sealed are not as sealed).",
             "Seal again after reviewing the change (`archiver seal`); an error means a "
             "change no tool recorded: restore the sealed state from a backup."),
        Rule("unsealed", _W, "The collection has no seal yet.",
             "`archiver key new NAME`, then `archiver seal --tsa URL`."),
    )
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in the collection; ``accepted`` holds the reviewer's reason if accepted."""

    code: str
    message: str
    path: str | None = None
    line: int | None = None
    accepted: str | None = None
    accepted_by: str | None = None  # who accepted it, where the acceptance records it
    # a code whose severity depends on the case (``unsealed-change``) sets it here
    level: Severity | None = None

    def __post_init__(self) -> None:
        if self.code not in RULES:
            raise ValueError(f"unknown finding code {self.code!r}")

    @property
    def severity(self) -> Severity:
        """The finding's severity: its code's, unless this finding sets its own."""
        return self.level or RULES[self.code].severity

    @property
    def counts(self) -> bool:
        """Whether this finding still needs attention (it was not accepted)."""
        return self.accepted is None
