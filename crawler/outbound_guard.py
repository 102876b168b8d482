"""The outbound guard of add by URL: a URL a person gives (and every redirect or link it leads
to) is fetched only from a public address (see crawler.outbound for which), unless
`web.allow_private_urls` is set. Configured sources are the administrator's and are not guarded.

The check sits in two places, each refusing before a connection is made:
- OutboundGuardMiddleware checks every request's URL (first fetch, each redirect hop, each link
  followed, robots.txt): http/https only, and a host that is an address in any spelling
  (`2130706433`, `0x7f.1`, `[::ffff:7f00:1]`) or a localhost name is refused as it stands.
- PublicOnlyResolver is the crawl process's DNS resolver: the address it answers is the one the
  connection is made to, so a name that resolves to an inside address is refused there, however
  it resolved before (DNS rebinding).
The middleware also refuses a response whose peer address is not public (should anything bypass
the resolver) before it is archived. Connections the administrator configured are exempt: the
REGWATCH_MIRROR server and HTTP proxies; behind a proxy, which resolves names itself, a name that
resolves here to an inside address is refused too.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response
from scrapy.resolver import CachingThreadedResolver
from scrapy.settings import BaseSettings
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

from crawler.errors import RegwatchError
from crawler.outbound import REFUSED, url_refusal, why_not_public

MIDDLEWARE_PRIORITY = 970  # nearest the downloader: after the proxy is chosen, before the WARC recorder


class OutboundRefused(RegwatchError, IgnoreRequest):
    """A request to an address inside the network (an IgnoreRequest, so Scrapy's robots.txt
    middleware passes over it quietly: the page's own request is refused in turn)."""

    kind = REFUSED


def _host_key(host: str) -> str:
    return host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")


@implementer(IResolverSimple)
class PublicOnlyResolver:
    """The crawl process's DNS resolver (TWISTED_DNS_RESOLVER): Scrapy's caching resolver whose
    answers pass only when public. The connection is made to the address answered here, so
    whatever a name resolved to at an earlier check, an inside address is never connected to.
    A refusal is kept by name for the middleware, since Twisted reports only "no results"."""

    def __init__(self, inner: Any, reactor: Any = None) -> None:
        self.inner, self.reactor = inner, reactor
        self.exempt: set[str] = set()  # the mirror's and proxies' hosts (see OutboundGuardMiddleware)
        self.refusals: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicOnlyResolver:
        return cls(CachingThreadedResolver.from_crawler(crawler, reactor), reactor)

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred:  # noqa: N802 (Twisted's interface)
        answer = self.inner.getHostByName(name, timeout)
        if _host_key(name) in self.exempt:
            return answer
        return answer.addCallback(self._public_only, name)

    def _public_only(self, address: str, name: str) -> str:
        why = why_not_public(ip_address(address))
        if why is None:
            return address
        reason = f"{name} is {why}" if name == address else f"{name} resolves to {address}, {why}"
        self.refusals[_host_key(name)] = reason
        raise DNSLookupError(reason)


Lookup = Callable[[str], Awaitable[list[str]]]


async def system_lookup(host: str) -> list[str]:
    """The addresses the system resolves a name to ([] when it cannot)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [info[4][0] for info in infos]


class OutboundGuardMiddleware:
    """Refuses every request of the add-by-URL crawl whose URL may not be fetched (see the module
    docstring); turns the resolver's refusals into errors that say why."""

    def __init__(self, mirror: str | None, resolver: PublicOnlyResolver | None = None,
                 lookup: Lookup = system_lookup) -> None:
        self.mirror = mirror  # REGWATCH_MIRROR: every connection goes to this server instead
        self._resolver, self.lookup = resolver, lookup

    @classmethod
    def from_crawler(cls, crawler: Any) -> OutboundGuardMiddleware:
        return cls(crawler.settings.get("REGWATCH_MIRROR") or None)

    @property
    def resolver(self) -> PublicOnlyResolver | None:
        if self._resolver is None:  # installed when the reactor starts, after the middlewares are built
            from twisted.internet import reactor

            installed = getattr(reactor, "resolver", None)
            self._resolver = installed if isinstance(installed, PublicOnlyResolver) else None
        return self._resolver

    async def process_request(self, request: Request) -> None:
        why = url_refusal(request.url)
        if why is not None:
            raise _refused(request, why)
        if self.mirror:  # every connection goes to the mirror: no name of the URL is resolved
            self._exempt(self.mirror)
            return
        host = urlsplit(request.url).hostname or ""
        proxy = request.meta.get("proxy")
        if proxy:
            self._exempt(proxy)
        exempt = self.resolver.exempt if self.resolver is not None else set()
        # A proxy resolves the name itself; and the proxy's own host, exempt from the resolver's
        # check, may not be reached directly (another port of it) as if it were a site.
        if proxy or _host_key(host) in exempt:
            await self._check_resolved(request, host)

    def _exempt(self, server: str) -> None:
        if self.resolver is not None:
            self.resolver.exempt.add(_host_key(urlsplit(server).hostname or ""))

    async def _check_resolved(self, request: Request, host: str) -> None:
        """Refuse a name that resolves here to an inside address (one that does not resolve here
        is the proxy's to judge)."""
        for address in await self.lookup(host):
            why = why_not_public(ip_address(address))
            if why is not None:
                raise _refused(request, f"{host} resolves to {address}, {why}")

    def process_exception(self, request: Request, exception: Exception) -> None:
        if self.resolver is None or not isinstance(exception, CannotResolveHostError | DNSLookupError):
            return None
        reason = self.resolver.refusals.get(_host_key(urlsplit(request.url).hostname or ""))
        if reason is not None:
            raise _refused(request, reason) from exception
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        """The address actually connected to, checked before the response is archived or read."""
        peer = response.ip_address
        if peer is None or self.mirror or request.meta.get("proxy"):
            return response
        why = why_not_public(peer)
        if why is not None:
            raise _refused(request, f"the server answered from {peer}, {why}")
        return response


def _refused(request: Request, why: str) -> OutboundRefused:
    hops = request.meta.get("redirect_urls") or []
    if hops:
        why = f"redirected from {hops[0]}: {why}"
    return OutboundRefused(why, url=request.url)


def guard_settings(settings: BaseSettings) -> None:
    """Turn the guard on in a crawl process's settings (the add-by-URL fetch)."""
    settings.set("TWISTED_DNS_RESOLVER", f"{__name__}.PublicOnlyResolver", priority="cmdline")
    middlewares = {**settings.getdict("DOWNLOADER_MIDDLEWARES"), f"{__name__}.OutboundGuardMiddleware":
                   MIDDLEWARE_PRIORITY}
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
