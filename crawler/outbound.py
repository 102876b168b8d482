"""Which addresses a URL that comes from a person may reach: public ones only, never the network
the server sits in (loopback, private, link-local with the cloud metadata service, multicast,
unspecified, reserved …), in IPv4 and IPv6 (an IPv4 address carried inside IPv6 included) and in
every spelling a URL can give (`2130706433`, `0x7f.1`, `[::ffff:7f00:1]`, a trailing dot).

Pure functions, no Scrapy: add_by_url refuses such a URL before starting a fetch, and the
add-by-URL crawl's guard (crawler.outbound_guard) applies them to every request and DNS answer.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

IPAddress = IPv4Address | IPv6Address
ONLY_HTTP = "only http:// and https:// addresses are fetched"
REFUSED = "refused"  # the error kind of a refusal

# Ranges named in a refusal, checked before the generic properties (is_private says too little).
_NAMED: tuple[tuple[IPv4Network | IPv6Network, str], ...] = (
    (IPv4Network("0.0.0.0/8"), "in 0.0.0.0/8, \"this network\""),
    (IPv4Network("100.64.0.0/10"), "in the shared address space 100.64.0.0/10 (carrier-grade NAT)"),
    (IPv4Network("198.18.0.0/15"), "a benchmarking address"),
    (IPv4Network("192.0.2.0/24"), "a documentation address"),
    (IPv4Network("198.51.100.0/24"), "a documentation address"),
    (IPv4Network("203.0.113.0/24"), "a documentation address"),
    (IPv6Network("2001:db8::/32"), "a documentation address"),
    (IPv6Network("3fff::/20"), "a documentation address"),
    (IPv6Network("fc00::/7"), "a unique local address"),
    (IPv6Network("fec0::/10"), "a site-local address"),
)
_NAT64 = IPv6Network("64:ff9b::/96")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


def why_not_public(address: IPAddress) -> str | None:
    """What makes `address` one the guard refuses ("a loopback address"), or None for a public one."""
    if isinstance(address, IPv6Address):
        for inner in _embedded_ipv4(address):
            why = why_not_public(inner)
            if why:
                return f"{why} ({inner} inside IPv6)"
        if address.ipv4_mapped or address in _NAT64:
            return None  # the connection goes to the public IPv4 address inside
    checks = ((address.is_unspecified, "the unspecified address, which reaches this machine"),
              (address.is_loopback, "a loopback address"),
              (address.is_link_local, "a link-local address, where cloud metadata services answer"),
              (address.is_multicast, "a multicast address"))
    for hit, why in checks:
        if hit:
            return why
    for network, why in _NAMED:
        if address.version == network.version and address in network:
            return why
    if address.is_reserved:  # before is_private, which counts 240.0.0.0/4 too
        return "a reserved address"
    if address.is_private:
        return "a private address"
    return None if address.is_global else "not a public address"


def _embedded_ipv4(address: IPv6Address) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, NAT64, 6to4 and Teredo."""
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in _NAT64:
        found.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return [inner for inner in found if inner is not None]


def parse_ipv4(host: str) -> IPv4Address | None:
    """An IPv4 address however the C library's inet_aton reads it (what the connection uses):
    `127.1`, `2130706433`, `0x7f.0.0.1`, `0177.0.0.1`; None for a name."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    numbers = [int(part[2:] or "0", 16) if part[:2].lower() == "0x" else int(part, 8 if part[0] == "0" else 10)
               for part in parts]
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return IPv4Address(value)


def host_address(host: str) -> IPAddress | None:
    """The address a URL's host spells, in any spelling (brackets, case, a trailing dot), else None."""
    host = host.strip().lower().removeprefix("[").removesuffix("]")
    if ":" in host:
        try:
            return ip_address(host)
        except ValueError:
            return None
    return parse_ipv4(host[:-1] if host.endswith(".") else host)


def host_refusal(host: str) -> str | None:
    """Why a host is refused as it stands (an inside address, a localhost name), else None:
    a name is judged by what it resolves to, when the connection is made."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback, resolved or not
        return f"{host} is a loopback name"
    address = host_address(host)
    why = why_not_public(address) if address is not None else None
    if why is None:
        return None
    shown = host.strip().removeprefix("[").removesuffix("]")
    same = ":" in shown or shown == str(address)  # an IPv6 address has many spellings of one value
    return f"{shown} is {why}" if same else f"{shown} is {address}, {why}"


def url_refusal(url: str) -> str | None:
    """Why a URL may not be fetched (a scheme other than http/https, an inside host), else None.
    The URL is read as Scrapy sends it (IDNA, so `１２７.０.０.１` is 127.0.0.1)."""
    try:
        parts = urlsplit(safe_url_string(url.strip()))
        host = parts.hostname
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return ONLY_HTTP
    if not host:
        return "the URL has no host"
    return host_refusal(host)
