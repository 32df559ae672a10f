"""Characters a report must show rather than obey: a title, text, reason or URL from a copy
someone else handed over may hold terminal escapes, line breaks or bidirectional overrides
meant to rewrite what a reader sees (erase a finding, print a fake "ok" line, reverse a URL).

The text report shows each as an escape (``\\x1b``, ``\\n``, ``\\u202e``), so a report line is
one line and no byte of the collection's text reaches the terminal as a control; the HTML
report marks them, and zero-width characters too, as a visible ``U+XXXX``.
"""

from __future__ import annotations

import re
import unicodedata

import markupsafe

# bidirectional controls: embeddings, overrides, isolates and marks (Unicode TR9)
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# zero-width and invisible characters a reader cannot see in a line of text
_INVISIBLE = "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200d\u2060-\u2064\u3164\ufeff"
# DEL, C1, line and paragraph separators, lone surrogates, the two non-characters XML forbids
_OTHER = "\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff"
# for the terminal: those, every C0 control and the bidi controls
_TERMINAL = re.compile(f"[\x00-\x1f{_OTHER}{_BIDI}]")
# for HTML: those but tab, newline and CR (shown as space), and the invisible characters
_MARKED = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_OTHER}{_BIDI}{_INVISIBLE}]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str) -> str:
    """``text`` with every control, line break, lone surrogate and bidi control written as a
    Python-style escape: safe to print on one terminal line, and valid UTF-8 and XML 1.0."""
    return _TERMINAL.sub(lambda m: _escape(m[0]), text)


def _name(char: str) -> str:
    return unicodedata.name(char, "") or ("CONTROL" if unicodedata.category(char) == "Cc"
                                          else "SURROGATE")


def marked(text: str) -> markupsafe.Markup:
    """``text`` escaped for HTML, each control, bidi or zero-width character replaced by a
    visible mark naming it (``<mark class="hidden-char" title="...">U+202E</mark>``).
    Tab and newline stay: HTML shows them as space."""
    out, last = [], 0
    for m in _MARKED.finditer(text):
        char = m[0]
        out.append(markupsafe.escape(text[last:m.start()]))
        out.append(markupsafe.Markup('<mark class="hidden-char" title="{}">U+{:04X}</mark>')
                   .format(f"U+{ord(char):04X} {_name(char)}".strip(), ord(char)))
        last = m.end()
    out.append(markupsafe.escape(text[last:]))
    return markupsafe.Markup("").join(out)


def href(url: str) -> markupsafe.Markup:
    """A URL for an ``href`` attribute: escaped, each character ``marked`` would mark
    percent-encoded, so a link's target is what its text shows."""
    return markupsafe.escape(_MARKED.sub(
        lambda m: "".join(f"%{b:02X}" for b in m[0].encode("utf-8", "surrogatepass")), url))
