"""Which network addresses a capture may connect to: public ones only, unless told otherwise."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from archiver.errors import EXIT_USAGE, CaptureError

SCHEMES = ("http", "https")
# Cloud instance-metadata endpoints are refused even with allow_private: a capture that
# reached one would archive credentials.
METADATA = frozenset(map(ipaddress.ip_address, ("169.254.169.254", "fd00:ec2::254")))


class UrlError(CaptureError):
    """A URL given to capture that cannot or must not be fetched: a usage error (exit 2)."""

    exit_code = EXIT_USAGE


def address_problem(address: str, *, allow_private: bool = False) -> str | None:
    """Why ``address`` (an IP literal) may not be connected to, or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA:
        return "cloud metadata"
    if allow_private:
        return None
    for kind in ("loopback", "link_local", "multicast", "private", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "not globally routable"


def check_url(url: str) -> None:
    """Raise UrlError unless ``url`` is an absolute http(s) URL with a host and a valid
    port, without credentials (a password would be sent, and stored in the WARC and manifest)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise UrlError(_escaped(url), f"not a valid URL: {exc}") from None
    if "@" in parts.netloc:
        raise UrlError(_escaped(without_credentials(url)),
                       "URL contains credentials (user:password@): refused, nothing was sent "
                       "or stored")
    if parts.scheme.lower() not in SCHEMES:
        what = repr(parts.scheme) if parts.scheme else "a URL without scheme"
        raise UrlError(url, f"only http and https can be captured, not {what}")
    if not parts.hostname:
        raise UrlError(url, "URL has no host")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise UrlError(_escaped(url), "URL contains spaces or control characters")


def without_credentials(url: str) -> str:
    """``url`` without any ``user:password@`` (so that no message repeats a password)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _escaped(url: str) -> str:
    """``url`` with control characters escaped, so that the error stays one line."""
    return url.encode("unicode_escape").decode("ascii")
