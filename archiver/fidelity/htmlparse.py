"""Parse a decoded page into the tree ``trafilatura.load_html`` gives, with less work.

trafilatura, before it parses a page, deletes from the whole string the characters XML
forbids (a regular expression over every character: 0.5 ms of a real page's 16 ms of verify),
and it parses with lxml.html's parser, which asks a Python method (``HtmlElementClassLookup``)
which class each element gets, every time lxml hands an element to Python (about 2,500 times
a page in a re-derivation: 4% of its CPU). Here a page is loaded as ``trafilatura.load_html``
loads it, step by step, with two differences that leave the tree the same:

- A page decoded from UTF-8 holds one of those characters only if its bytes do: a control
  byte (which UTF-8 uses for nothing else) or the three bytes of U+FFFE or U+FFFF. The bytes
  are searched for them by ``bytes.translate`` and ``bytes.find`` (C loops, a fifth of the
  time), and the regular expression runs only on a page that holds one.
- The parser has trafilatura's parser's options (``HTMLParser.copy``) and gives every element
  lxml.html's ``HtmlElement`` class in C. Only form fields lose their own classes
  (``InputElement``, ``FormElement``...), whose extra methods neither trafilatura nor archiver
  calls. trafilatura copies a tree before it cuts it up; the copies keep the parser.

The steps of ``load_html``, ``fromstring_bytes`` and ``repair_faulty_html`` are mirrored, not
imported, so this is done only while the installed trafilatura's are the ones mirrored here
(their source's sha256, read once a process). With any other trafilatura, its own
``load_html`` is called: the tree, and every text re-derived from it, is always the one
trafilatura itself makes.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from trafilatura import utils as trafilatura_utils

# The sha256 of the source of trafilatura.utils.load_html, fromstring_bytes and
# repair_faulty_html that _mirrored_load_html follows (trafilatura 2.3.1).
MIRRORED_SOURCE = "29ea66df08040f99901c788bf6db185b88d15c0029c9e71a62a036e343fad3c3"
_MIRRORED = (trafilatura_utils.load_html, trafilatura_utils.fromstring_bytes,
             trafilatura_utils.repair_faulty_html)

_PARSER = trafilatura_utils.HTML_PARSER.copy()  # the same options
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))

# The bytes of the characters trafilatura deletes (INVALID_XML_CHARS) in UTF-8.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NONCHARACTER_TAILS = (b"\xbf\xbe", b"\xbf\xbf")  # after 0xEF: U+FFFE, U+FFFF


def installed_source() -> str:
    """The sha256 of the source of the installed trafilatura's functions mirrored here."""
    digest = hashlib.sha256()
    for function in _MIRRORED:
        digest.update(inspect.getsource(function).encode("utf-8"))
    return digest.hexdigest()


def holds_no_forbidden(utf8: bytes) -> bool:
    """Whether the page decoded from the UTF-8 bytes ``utf8`` (invalid sequences replaced)
    holds none of the characters trafilatura deletes before it parses a page."""
    if len(utf8.translate(None, _CONTROL_BYTES)) != len(utf8):
        return False
    # U+FFFE and U+FFFF, by their lead byte 0xEF (memchr; rare: it leads only U+F000-U+FFFF),
    # not by searching for their three bytes (whose last, a continuation byte, is everywhere
    # in UTF-8 text and stops the search's skips: seventy times slower on the real pages)
    at = utf8.find(0xEF)
    while at >= 0:
        if utf8[at + 1:at + 3] in _NONCHARACTER_TAILS:
            return False
        at = utf8.find(0xEF, at + 1)
    return True


def _from_bytes(page: str) -> Any:
    """trafilatura's ``fromstring_bytes``: the page parsed as UTF-8 bytes, or None."""
    try:
        return lxml.html.fromstring(page.encode("utf8", "surrogatepass"), parser=_PARSER)
    except Exception:  # as trafilatura: any failure is "no tree"
        return None


def _repaired(page: str, beginning: str, clean: bool) -> str:
    """trafilatura's ``repair_faulty_html``; a ``clean`` page holds no character it deletes."""
    if not clean:
        page = trafilatura_utils.INVALID_XML_CHARS.sub("", page)
    if "doctype" in beginning:
        firstline, _, rest = page.partition("\n")
        page = trafilatura_utils.DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in page[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            page = trafilatura_utils.FAULTY_HTML.sub(r"\1>", page, count=1)
            break
    return page


def _mirrored_load_html(page: str, utf8: bytes | None = None) -> Any:
    """``trafilatura.load_html(page)`` for a decoded page, parsed by ``_PARSER``; ``utf8``:
    the bytes it was decoded from as UTF-8, if it was."""
    beginning = page[:50].lower()
    dubious = trafilatura_utils.is_dubious_html(beginning)
    page = _repaired(page, beginning, utf8 is not None and holds_no_forbidden(utf8))
    tree, fallback = None, False
    try:
        tree = lxml.html.fromstring(page, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree, fallback = _from_bytes(page), True
    except Exception:  # as trafilatura: any failure is "no tree"
        pass
    if (tree is None or len(tree) < 1) and not fallback:
        tree = _from_bytes(page)
    if tree is not None and dubious and len(tree) < 2:  # not HTML at all
        tree = None
    return tree


def _trafilatura_load_html(page: str, utf8: bytes | None = None) -> Any:
    """trafilatura's own ``load_html``."""
    return trafilatura.load_html(page)


def _choose() -> Callable[[str, bytes | None], Any]:
    """The mirror if the installed trafilatura loads pages as it mirrors, else trafilatura's."""
    try:
        same = installed_source() == MIRRORED_SOURCE
    except (OSError, TypeError):  # no source to read (a frozen install): trafilatura's own
        same = False
    return _mirrored_load_html if same else _trafilatura_load_html


# load_html(page, utf8=None): the tree trafilatura.load_html(page) gives, or None
load_html = _choose()
