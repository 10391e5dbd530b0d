"""Keep an attempt's browser on its allowed hosts: every request, every redirect hop.

Two layers, because one is not enough:

- ``context.route`` aborts any request to a host outside ``allowed_hosts``
  for everything in the context (pages, popups, workers, iframes). But
  Playwright never shows a route handler the *hops* of a redirect: it
  continues them itself, so ``302 -> http://elsewhere/`` would be followed
  unseen (checked on Playwright 1.65 with a local redirect).
- A CDP ``Fetch`` session on the attempt's page pauses every request,
  redirect hops included, and fails those to other hosts with
  ``BlockedByClient`` before they leave the machine.

Popups (``target=_blank``, ``window.open``) are not loaded at all: an
attempt needs one window, and CDP cannot attach to a new one before its
first request. WebSockets are routed like requests. Local schemes
(``data:``, ``blob:``, ``about:``) pass; any other non-http(s) scheme
(``file:``, ``ftp:``) is blocked. Every blocked request is recorded; a
blocked top-level navigation is how an offsite redirect shows
(``offsite_navigation``).
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

log = logging.getLogger(__name__)

NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def host_allowed(host: str | None, allowed_hosts: tuple[str, ...] | list[str]) -> bool:
    """Exact host, or a subdomain of an allowed *name* (IP addresses match exactly).

    >>> host_allowed("www.acme.example", ("acme.example",))
    True
    >>> host_allowed("127.0.0.2", ("127.0.0.1",))
    False
    """
    if not host:
        return False
    host = host.lower().rstrip(".").strip("[]")
    for allowed in allowed_hosts:
        allowed = allowed.lower().rstrip(".").strip("[]")
        if host == allowed:
            return True
        if not _is_ip(allowed) and not _is_ip(host) and host.endswith("." + allowed):
            return True
    return False


def url_allowed(url: str, allowed_hosts: tuple[str, ...] | list[str]) -> bool:
    """May the browser fetch this URL? Local schemes yes; network schemes only to allowed hosts."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in LOCAL_SCHEMES:
        return True
    if scheme not in NETWORK_SCHEMES:
        return False
    return host_allowed(parts.hostname, allowed_hosts)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


@dataclass
class Blocked:
    url: str
    method: str
    navigation: bool  # a top-level document request of the attempt's page
    how: str  # route | main | popup | cdp | redirect-hop | websocket


@dataclass
class HostGuard:
    """Install on a context and its attempt page; ``close()`` removes the route and the CDP sessions.

    (Playwright has no way to remove a WebSocket route: it stays, still
    enforcing the same hosts, until the context closes.) Not covered, as
    far as tested: redirect hops inside out-of-process iframes whose first
    request was allowed, and DNS prefetch / preconnect, which send no
    request (only Chromium's flags could stop those).
    """

    context: object
    allowed_hosts: tuple[str, ...]
    blocked: list[Blocked] = field(default_factory=list)
    _page: object = field(default=None, init=False, repr=False)
    _sessions: list = field(default_factory=list, init=False, repr=False)
    _main_frame_id: str | None = field(default=None, init=False, repr=False)

    def install(self, page) -> None:
        """Guard the context (routes) and ``page`` (CDP)."""
        self._page = page
        self.context.route("**/*", self._on_route)
        try:
            self.context.route_web_socket("**/*", self._on_websocket)
        except (AttributeError, PlaywrightError):  # older Playwright: no WebSocket routing
            log.debug("WebSocket routing unavailable")
        self._main_frame_id = self._attach(page)

    def close(self) -> None:
        undo = [lambda: self.context.unroute("**/*", self._on_route)]
        undo += [session.detach for session in self._sessions]
        for step in undo:
            try:
                step()
            except PlaywrightError:
                pass  # the page or context is already gone
        self._sessions.clear()

    def _attach(self, page) -> str | None:
        """Pause every request of ``page`` (redirect hops included); return its main frame's id."""
        session = self.context.new_cdp_session(page)
        self._sessions.append(session)
        session.on("Fetch.requestPaused", lambda event: self._on_paused(session, event))
        session.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]})
        return session.send("Page.getFrameTree")["frameTree"]["frame"]["id"]

    @property
    def offsite_navigation(self) -> str | None:
        """The first blocked top-level navigation (a redirect or a link off the allowed hosts)."""
        return next((b.url for b in self.blocked if b.navigation), None)

    # -- layer 1: Playwright routes (whole context, first hop only) ----------

    def _on_route(self, route, request) -> None:
        try:
            where = self._where(request)
            if where != "popup" and url_allowed(request.url, self.allowed_hosts):
                route.fallback()
                return
            self.blocked.append(Blocked(request.url, request.method, where == "main", where))
            route.abort("blockedbyclient")
        except PlaywrightError:
            pass  # the page closed while the request was paused

    def _where(self, request) -> str:
        """``main`` (our page's top-level navigation), ``popup`` (another page's), or ``route``.

        An attempt never needs a second window, and the CDP layer cannot
        attach to one before its first request: so popups never load.
        """
        if not request.is_navigation_request():
            return "route"
        try:
            frame = request.frame
        except PlaywrightError:
            return "popup"  # "issued before the frame is created": a new window's first request
        if frame.page is not self._page and frame == frame.page.main_frame:
            return "popup"
        return "main" if frame == self._page.main_frame else "route"

    def _on_websocket(self, ws) -> None:
        if url_allowed(ws.url, self.allowed_hosts):
            ws.connect_to_server()
        else:
            self.blocked.append(Blocked(ws.url, "GET", False, "websocket"))
            ws.close(code=1008, reason="blocked: host not allowed")

    # -- layer 2: CDP Fetch on the attempt page (sees redirect hops) ----------

    def _on_paused(self, session, event: dict) -> None:
        request_id = event["requestId"]
        url = event["request"]["url"]
        try:
            if url_allowed(url, self.allowed_hosts):
                session.send("Fetch.continueRequest", {"requestId": request_id})
                return
            navigation = event.get("resourceType") == "Document" and event.get("frameId") == self._main_frame_id
            how = "redirect-hop" if event.get("redirectedRequestId") else "cdp"
            self.blocked.append(Blocked(url, event["request"].get("method", "GET"), navigation, how))
            session.send("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})
        except PlaywrightError:
            pass  # the page closed while the request was paused
