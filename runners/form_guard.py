"""Keep an attempt's browser on its allowed hosts: every request, every redirect hop.

The browser's own network stack does the enforcing. An attempt's context
is created (``guarded_context``) with a proxy that goes nowhere: a port on
127.0.0.1 that this process has bound and never listens on, so every
connection to it is refused at once. The allowed hosts are the proxy's
bypass list, so only they are reached directly; anything else (a redirect
hop, a third-party script, a beacon, a WebSocket, a worker's fetch, a
preconnect) fails with ``ERR_PROXY_CONNECTION_FAILED`` before it leaves
the machine. Chromium's implicit "loopback never goes through the proxy"
is switched off with ``<-loopback>``, so 127.0.0.2 is another host like
any other. Nothing is resolved for a blocked host either: with a proxy,
DNS is the proxy's job.

This replaced a Playwright route plus a CDP ``Fetch`` session that paused
every request in Python: they cost about 130 ms per submission on the
sandbox form, and still missed redirect hops in out-of-process iframes.

Two things a proxy cannot see are stopped in the page, by a script that
runs before any of the site's (``ONE_WINDOW_JS``): WebRTC, whose UDP goes
around proxies (a page could reach any STUN or TURN server), and second
windows: ``window.open`` opens nothing, and a form or link aimed at a new
window (``target=_blank``, also through a script's ``form.submit()``) is
sent in the attempt's own page, where its answer can be read.

``HostGuard`` only *records* on top of that: every failed request to a
host outside the list is a ``Blocked`` (a blocked top-level navigation is
how an offsite redirect shows: ``offsite_navigation``), and a window that
still opens is closed at once and noted in ``popups``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

log = logging.getLogger(__name__)

NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
_HOST_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$")


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


# -- enforcing: the proxy that goes nowhere ---------------------------------------------------

_hole: socket.socket | None = None
_hole_lock = threading.Lock()


def _dead_end() -> str:
    """``http://127.0.0.1:PORT`` where PORT is bound by this process and never listened on.

    A bound socket keeps any other program from taking the port (and so
    from ever receiving what the browser sends there); without ``listen()``
    the kernel refuses every connection to it.
    """
    global _hole
    with _hole_lock:
        if _hole is None:
            hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            hole.bind(("127.0.0.1", 0))
            _hole = hole
        return f"http://127.0.0.1:{_hole.getsockname()[1]}"


def bypass_rules(allowed_hosts: tuple[str, ...] | list[str]) -> str:
    """Chromium's proxy bypass list for ``host_allowed``'s rule: exact hosts, subdomains of names.

    >>> bypass_rules(("acme.example", "127.0.0.1", "::1"))
    '<-loopback>,acme.example,.acme.example,127.0.0.1,[::1]'

    A host that is neither an IP address nor a plain DNS name (``*``,
    ``a.com,b.com``) would widen the list, so it is refused.
    """
    rules = ["<-loopback>"]  # 127.0.0.2, localhost and ::1 are other hosts unless named
    for host in allowed_hosts:
        host = host.lower().rstrip(".").strip("[]")
        if _is_ip(host):
            rules.append(f"[{host}]" if ":" in host else host)
        elif _HOST_NAME.match(host) and not host.rsplit(".", 1)[-1].isdigit():
            # (".0.1" would be Chromium's "*.0.1": every IP address ending in .0.1)
            rules += [host, f".{host}"]
        else:
            raise ValueError(f"{host!r} is not a host name or IP address; it cannot be an allowed host")
    return ",".join(rules)


ONE_WINDOW_JS = """(() => {
  const gone = {value: undefined, writable: false, configurable: false};
  for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCIceCandidate']) {
    try { Object.defineProperty(window, name, gone); } catch (e) {}
  }
  try { Object.defineProperty(window, 'open', {value: () => null, writable: false, configurable: false}); }
  catch (e) {}
  const elsewhere = (name) => name && !['_self', '_parent', '_top'].includes(name.toLowerCase())
    && !document.querySelector('iframe[name="' + CSS.escape(name) + '"]');
  const here = (el) => { if (el && el.getAttribute && elsewhere(el.getAttribute('target'))) el.setAttribute('target', '_self'); };
  window.addEventListener('submit', (e) => {
    const by = e.submitter;
    if (by && by.hasAttribute('formtarget') && elsewhere(by.getAttribute('formtarget'))) by.removeAttribute('formtarget');
    here(e.target);
  }, true);
  window.addEventListener('click', (e) => here(e.target && e.target.closest && e.target.closest('a[target], area[target]')), true);
  const submit = HTMLFormElement.prototype.submit;  // a script's form.submit() fires no submit event
  HTMLFormElement.prototype.submit = function () { here(this); return submit.call(this); };
})();"""


def guarded_context(browser, allowed_hosts: tuple[str, ...] | list[str], options=None):
    """A fresh context (``runners.browser.new_context``) that reaches ``allowed_hosts`` and nothing else,
    in one window, without WebRTC."""
    from runners.browser import ContextOptions, new_context

    if not allowed_hosts:
        raise ValueError("a guarded context needs at least one allowed host")
    proxy = {"server": _dead_end(), "bypass": bypass_rules(allowed_hosts)}
    context = new_context(browser, options or ContextOptions(), proxy=proxy)
    context.add_init_script(ONE_WINDOW_JS)
    return context


# -- recording --------------------------------------------------------------------------------

@dataclass
class Blocked:
    url: str
    method: str
    navigation: bool  # a top-level document request of the attempt's page


@dataclass
class HostGuard:
    """Records what the guarded context refused; ``install`` on the attempt's page, ``close()`` to stop."""

    context: object
    allowed_hosts: tuple[str, ...]
    blocked: list[Blocked] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    _page: object = field(default=None, init=False, repr=False)

    def install(self, page) -> None:
        self._page = page
        self.context.on("requestfailed", self._on_failed)
        self.context.on("page", self._on_page)

    def close(self) -> None:
        for event, handler in (("requestfailed", self._on_failed), ("page", self._on_page)):
            try:
                self.context.remove_listener(event, handler)
            except (PlaywrightError, ValueError, KeyError):
                pass

    @property
    def offsite_navigation(self) -> str | None:
        """The first blocked top-level navigation (a redirect or a link off the allowed hosts)."""
        return next((b.url for b in self.blocked if b.navigation), None)

    def _on_failed(self, request) -> None:
        if url_allowed(request.url, self.allowed_hosts):
            return  # a failure, not a block
        self.blocked.append(Blocked(request.url, request.method, self._is_main_navigation(request)))

    def _is_main_navigation(self, request) -> bool:
        try:
            return request.is_navigation_request() and request.frame == self._page.main_frame
        except PlaywrightError:
            return False  # "issued before the frame is created": another window's first request

    def _on_page(self, page) -> None:
        if page is self._page:
            return
        self.popups.append(page.url or "about:blank")
        try:
            page.close()
        except PlaywrightError:
            pass
