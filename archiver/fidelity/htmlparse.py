"""Parse a decoded page into the tree ``trafilatura.load_html`` gives, with less work per element.

trafilatura parses with lxml.html's parser, which asks a Python method (``HtmlElementClassLookup``)
which class each element gets, every time lxml hands an element to Python: about 2,500 times a
page in one re-derivation, 4% of its CPU. Here the page is parsed as ``trafilatura.load_html``
parses it (its own repair and checks, a parser with its parser's options) by a parser that
gives every element lxml.html's ``HtmlElement`` class in C. Only the special classes of form
fields (``InputElement``, ``FormElement``...) are lost, whose extra methods trafilatura and
archiver never call. trafilatura copies a tree before it cuts it up; the copies keep the parser.

The steps of ``load_html`` are mirrored, not imported: that is only done while the installed
trafilatura's ``load_html`` and ``fromstring_bytes`` are the ones mirrored here (their source's
sha256, read once a process). Any other trafilatura is called as it is, so its tree, and every
text re-derived from it, is always the one trafilatura itself would make.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from trafilatura import utils as trafilatura_utils

# The sha256 of the source of trafilatura.utils.load_html and fromstring_bytes that
# _mirrored_load_html follows (trafilatura 2.3.1).
MIRRORED_SOURCE = "68c59a79ad19fc82c00e4fe085ce75667e280005ca72175e1c751609c3ed5d93"

_PARSER = trafilatura_utils.HTML_PARSER.copy()  # the same options
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))


def installed_source() -> str:
    """The sha256 of the installed trafilatura's ``load_html`` and ``fromstring_bytes``."""
    digest = hashlib.sha256()
    for function in (trafilatura_utils.load_html, trafilatura_utils.fromstring_bytes):
        digest.update(inspect.getsource(function).encode("utf-8"))
    return digest.hexdigest()


def _from_bytes(page: str) -> Any:
    """trafilatura's ``fromstring_bytes``: the page parsed as UTF-8 bytes, or None."""
    try:
        return lxml.html.fromstring(page.encode("utf8", "surrogatepass"), parser=_PARSER)
    except Exception:  # as trafilatura: any failure is "no tree"
        return None


def _mirrored_load_html(page: str) -> Any:
    """``trafilatura.load_html(page)`` for a decoded page, parsed by ``_PARSER``."""
    beginning = page[:50].lower()
    dubious = trafilatura_utils.is_dubious_html(beginning)
    page = trafilatura_utils.repair_faulty_html(page, beginning)
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


def _choose() -> Any:
    """The mirror if the installed trafilatura loads pages as it mirrors, else trafilatura's."""
    try:
        same = installed_source() == MIRRORED_SOURCE
    except (OSError, TypeError):  # no source to read (a frozen install): trafilatura's own
        same = False
    return _mirrored_load_html if same else trafilatura.load_html


load_html = _choose()
