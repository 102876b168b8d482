"""The outbound guard of add by URL: which addresses a person's URL may reach (every spelling),
the crawl's DNS resolver and downloader middleware (real Scrapy requests, responses and redirect
middleware), and end to end against a loopback server: refused unless web.allow_private_urls."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from ipaddress import IPv4Address, ip_address

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from crawler.config import load_config
from crawler.middlewares import mirror_url
from crawler.outbound import ONLY_HTTP, host_address, url_refusal, why_not_public
from crawler.outbound_guard import OutboundGuardMiddleware, OutboundRefused, PublicOnlyResolver
from crawler.storage import db
from crawler.storage.models import CrawlRun, Document
from editorial.add_by_url import AddFailed, add_by_url
from tests.conftest import regwatch, write_config
from tests.loopback import Reply

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Standing order on generative AI in filings</title></head><body>
<h1>Standing order on generative AI in filings</h1><p class="date">January 21, 2025</p>
<p>Counsel who use generative artificial intelligence to draft filings must say so and check every citation.</p>
</body></html>"""

LOOPBACK_SPELLINGS = ["127.0.0.1", "127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "0x7f.1", "017700000001",
                      "0X7F000001", "127.0.0.1.", "127.000.000.001"]


# --- which addresses ------------------------------------------------------------------------------

@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_ipv4_spelling_of_loopback_is_read_as_the_c_library_reads_it(host):
    assert host_address(host) == IPv4Address("127.0.0.1")
    # What the connection would use: the system's own reading of the same spelling.
    assert socket.inet_ntoa(socket.inet_aton(host.rstrip("."))) == "127.0.0.1"
    assert url_refusal(f"http://{host}:8080/x").endswith("a loopback address")


@pytest.mark.parametrize("url", [
    "http://localhost/", "http://localhost./", "http://LOCALHOST:8000/", "http://api.localhost/", "HTTP://127.0.0.1/",
    "http://[::1]/", "http://[::ffff:7f00:1]/", "http://[::ffff:127.0.0.1]/", "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://１２７.０.０.１/", "https://127.0.0.1:443/admin"])
def test_loopback_is_refused_in_every_spelling(url):
    assert "loopback" in url_refusal(url)


@pytest.mark.parametrize(("address", "why"), [
    ("10.1.2.3", "a private address"), ("172.16.0.1", "a private address"), ("192.168.1.1", "a private address"),
    ("169.254.169.254", "a link-local address, where cloud metadata services answer"),
    ("100.64.0.1", "in the shared address space 100.64.0.0/10 (carrier-grade NAT)"),
    ("0.0.0.0", "the unspecified address, which reaches this machine"), ("0.1.2.3", 'in 0.0.0.0/8, "this network"'),
    ("224.0.0.1", "a multicast address"), ("239.255.255.250", "a multicast address"),
    ("192.0.2.7", "a documentation address"), ("198.51.100.7", "a documentation address"),
    ("203.0.113.7", "a documentation address"), ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"), ("198.18.0.1", "a benchmarking address"),
    ("::", "the unspecified address, which reaches this machine"), ("fc00::1", "a unique local address"),
    ("fd12:3456::1", "a unique local address"),
    ("fe80::1", "a link-local address, where cloud metadata services answer"),
    ("fec0::1", "a site-local address"), ("ff02::1", "a multicast address"), ("2001:db8::1", "a documentation address"),
    ("::ffff:10.0.0.1", "a private address (10.0.0.1 inside IPv6)"),
    ("64:ff9b::a9fe:a9fe", "a link-local address, where cloud metadata services answer (169.254.169.254 inside IPv6)"),
    ("2002:c0a8:101::1", "a private address (192.168.1.1 inside IPv6)"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "a private address (10.0.0.1 inside IPv6)"),  # Teredo client 10.0.0.1
    ("::7f00:1", "a reserved address"),  # IPv4-compatible (deprecated)
])
def test_inside_addresses_are_refused_saying_what_they_are(address, why):
    assert why_not_public(ip_address(address)) == why


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::808:808", "2002:808:808::1"])
def test_public_addresses_pass(address):
    assert why_not_public(ip_address(address)) is None
    assert url_refusal(f"http://{host_text(address)}/page") is None


def host_text(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def test_a_refusal_names_the_address_a_spelling_stands_for():
    assert url_refusal("http://2130706433/") == "2130706433 is 127.0.0.1, a loopback address"
    assert url_refusal("http://169.254.169.254/latest/meta-data/") == (
        "169.254.169.254 is a link-local address, where cloud metadata services answer")
    assert url_refusal("http://court.example/notice.html") is None  # a name is judged when it resolves


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://ftp.example.org/x", "gopher://127.0.0.1:70/_x",
                                 "javascript:alert(1)", "data:text/html,<p>x</p>", "dict://example.org:11211/"])
def test_other_schemes_are_refused(url):
    assert url_refusal(url) == ONLY_HTTP


# --- the resolver ----------------------------------------------------------------------------------

class Rebinding:
    """A DNS server stand-in whose name answers public first and inside after (DNS rebinding)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)

    def getHostByName(self, name, timeout=()):  # noqa: N802 (Twisted's interface)
        return defer.succeed(self.answers.pop(0))


def _resolved(deferred) -> str | Exception:
    results = []
    deferred.addBoth(results.append)
    [result] = results
    return result.value if hasattr(result, "value") else result


def test_resolver_refuses_an_inside_answer_even_after_a_public_one():
    resolver = PublicOnlyResolver(Rebinding("93.184.216.34", "10.0.0.5"))
    assert _resolved(resolver.getHostByName("rebind.example")) == "93.184.216.34"
    refused = _resolved(resolver.getHostByName("rebind.example"))
    assert isinstance(refused, DNSLookupError)
    assert resolver.refusals["rebind.example"] == "rebind.example resolves to 10.0.0.5, a private address"


def test_resolver_lets_the_administrators_mirror_and_proxies_resolve_inside():
    resolver = PublicOnlyResolver(Rebinding("127.0.0.1"))
    resolver.exempt.add("proxy.corp")
    assert _resolved(resolver.getHostByName("Proxy.Corp.")) == "127.0.0.1"


# --- the middleware ---------------------------------------------------------------------------------

def _guard(**kwargs) -> OutboundGuardMiddleware:
    kwargs.setdefault("resolver", PublicOnlyResolver(Rebinding()))
    return OutboundGuardMiddleware(kwargs.pop("mirror", None), **kwargs)


def _check(guard: OutboundGuardMiddleware, request: Request) -> None:
    # In a thread of its own: an earlier test in this process (Playwright) may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, guard.process_request(request)).result()


def test_middleware_refuses_a_redirect_to_an_inside_address():
    crawler = get_crawler(settings_dict={"REDIRECT_ENABLED": True})
    redirects = RedirectMiddleware.from_crawler(crawler)
    first = Request("https://court.example/moved")
    _check(_guard(), first)  # a name passes here: the resolver judges it at connect
    response = Response(first.url, status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"},
                        request=first)
    hop = redirects.process_response(first, response)
    with pytest.raises(OutboundRefused) as refused:
        _check(_guard(), hop)
    assert str(refused.value) == ("redirected from https://court.example/moved: 169.254.169.254 is a link-local "
                                  "address, where cloud metadata services answer (http://169.254.169.254/latest/meta-data/)")
    assert refused.value.kind == "refused"


@pytest.mark.parametrize("url", ["http://[::ffff:7f00:1]:8080/", "http://0x7f.1/", "http://localhost./",
                                 "ftp://files.example/x"])
def test_middleware_refuses_inside_hosts_and_other_schemes_of_any_request(url):
    with pytest.raises(OutboundRefused):
        _check(_guard(), Request(url))


def test_middleware_says_why_the_resolver_refused():
    resolver = PublicOnlyResolver(Rebinding("192.168.0.10"))
    guard = _guard(resolver=resolver)
    request = Request("http://intranet.example/wiki")
    _check(guard, request)
    _resolved(resolver.getHostByName("intranet.example"))  # what Twisted asks when it connects
    with pytest.raises(OutboundRefused, match="intranet.example resolves to 192.168.0.10, a private address"):
        guard.process_exception(request, CannotResolveHostError("no results for hostname lookup: intranet.example"))
    other = Request("http://gone.example/")
    assert guard.process_exception(other, CannotResolveHostError("no results")) is None  # a plain DNS failure


def test_middleware_refuses_a_response_from_an_inside_peer_before_it_is_archived():
    request = Request("https://court.example/notice.html")
    answered = HtmlResponse(request.url, body=b"<p>x</p>", request=request, ip_address=IPv4Address("10.9.8.7"))
    with pytest.raises(OutboundRefused, match="the server answered from 10.9.8.7, a private address"):
        _guard().process_response(request, answered)
    public = answered.replace(ip_address=IPv4Address("93.184.216.34"))
    assert _guard().process_response(request, public) is public
    # The mirror answers for every site from the administrator's own server.
    assert _guard(mirror="http://127.0.0.1:8080").process_response(request, answered) is answered


def test_behind_a_proxy_a_name_that_resolves_inside_here_is_refused():
    async def lookup(host: str) -> list[str]:
        return {"intranet.example": ["10.0.0.8"], "unknown-here.example": [], "proxy.corp": ["10.0.0.3"]}[host]

    resolver = PublicOnlyResolver(Rebinding())
    guard = _guard(resolver=resolver, lookup=lookup)
    with pytest.raises(OutboundRefused, match="intranet.example resolves to 10.0.0.8, a private address"):
        _check(guard, Request("http://intranet.example/", meta={"proxy": "http://proxy.corp:3128"}))
    _check(guard, Request("http://unknown-here.example/", meta={"proxy": "http://proxy.corp:3128"}))
    assert resolver.exempt == {"proxy.corp"}  # the proxy itself may sit inside
    with pytest.raises(OutboundRefused, match="proxy.corp resolves to 10.0.0.3, a private address"):
        _check(guard, Request("http://proxy.corp:8080/admin"))  # but is no site to fetch directly


# --- end to end ---------------------------------------------------------------------------------------

def _documents(config) -> list[Document]:
    with db.open_session(config.database_url) as session:
        return session.scalars(select(Document)).all()


def test_regwatch_add_refuses_a_loopback_page_unless_private_urls_are_allowed(tmp_path, site):
    url = site.serve("/notice.html", PAGE)
    path = write_config(tmp_path, [])
    refused = regwatch(path, "add", url)
    assert refused.returncode == 1
    assert f"refused: 127.0.0.1 is a loopback address ({url})" in " ".join(refused.stderr.split())
    assert site.requests == [] and _documents(load_config(path)) == []
    allowed = regwatch(write_config(tmp_path, [], web={"allow_private_urls": True}), "add", url, "--json")
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["created"] is True and len(site.hits("/notice.html")) == 1


def test_a_name_that_resolves_to_an_inside_address_is_refused_when_connecting(tmp_path, site):
    name = socket.gethostname()  # resolves through /etc/hosts, no network needed
    address = socket.gethostbyname(name)
    if why_not_public(ip_address(address)) is None:
        pytest.skip(f"this machine's name resolves to the public {address}")
    site.serve("/notice.html", PAGE)
    config = load_config(write_config(tmp_path, []))
    url = f"http://{name}:{site.server.server_address[1]}/notice.html"
    assert url_refusal(url) is None  # nothing to see in the URL itself
    with pytest.raises(AddFailed) as refused:
        add_by_url(config, url, "li")
    assert refused.value.kind == "refused" and refused.value.url == url
    assert refused.value.message.startswith(f"{name} resolves to {address}, a ")
    assert site.requests == [] and _documents(config) == []  # never connected


@pytest.mark.parametrize("allowed", [False, True])
def test_a_redirect_to_an_inside_address_is_refused_unless_allowed(tmp_path, site, allowed):
    inside = "http://10.20.30.40/admin/notice.html"
    site.routes[mirror_url("", "https://court.example/moved")] = Reply(302, b"", {"Location": inside})
    site.serve(mirror_url("", inside), PAGE)
    config = load_config(write_config(tmp_path, [], service={"crawl_settings": {"REGWATCH_MIRROR": site.base}},
                                      web={"allow_private_urls": allowed}))
    if allowed:
        assert add_by_url(config, "https://court.example/moved", "li").created
        assert [d.url for d in _documents(config)] == [inside]
        return
    with pytest.raises(AddFailed) as refused:
        add_by_url(config, "https://court.example/moved", "li")
    assert (refused.value.kind, refused.value.url) == ("refused", inside)
    assert refused.value.message == "redirected from https://court.example/moved: 10.20.30.40 is a private address"
    assert site.hits(mirror_url("", inside)) == [] and _documents(config) == []


def test_behind_a_configured_proxy_public_names_pass_and_names_resolving_inside_are_refused(tmp_path, site):
    # A plain HTTP proxy on loopback (it gets the absolute URI); the guard exempts the proxy itself.
    name = socket.gethostname()
    address = socket.gethostbyname(name)
    if why_not_public(ip_address(address)) is None:
        pytest.skip(f"this machine's name resolves to the public {address}")
    public, inside = "http://court.example/tzgg/2025/notice.html", f"http://{name}/wiki/notice.html"
    site.serve(public, PAGE)
    site.serve(inside, PAGE)
    sources = [{"id": "court", "spider": "page", "proxy": site.base, "urls": {"index": "http://court.example/tzgg/"}},
               {"id": "wiki", "spider": "page", "proxy": site.base, "urls": {"index": f"http://{name}/wiki/"}}]
    config = load_config(write_config(tmp_path, sources))
    assert add_by_url(config, public, "li").parser == "court"
    with pytest.raises(AddFailed, match=re.escape(f"{name} resolves to {address}, a ")):
        add_by_url(config, inside, "li")
    assert [r.path for r in site.requests] == [public]


def test_a_refused_url_is_refused_before_any_fetch(tmp_path, site):
    config = load_config(write_config(tmp_path, []))
    for url in ("gopher://127.0.0.1:70/_x", "file:///etc/passwd", "http://[::ffff:169.254.169.254]/",
                f"http://0x7f.1:{site.server.server_address[1]}/", f"http://LOCALHOST.:{site.server.server_address[1]}/"):
        with pytest.raises(AddFailed):
            add_by_url(config, url, "li")
    with db.open_session(config.database_url) as session:
        assert session.scalars(select(CrawlRun)).all() == []  # no fetch process ever ran
    assert site.requests == []
