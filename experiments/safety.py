"""Where an experiment would reach: the basis of every live-safety check.

Loopback addresses (the sandbox) may be reached in any status; anything
else only when the experiment is live, and only at the endpoints its
targets name.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from experiments.model import Channel

LOOPBACK_NAMES = {"localhost"}
# RFC 2606 / 6761: names that can never belong to a real company.
RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost")


def is_reserved_domain(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    return domain.endswith(RESERVED_SUFFIXES) or domain in ("example", "test", "invalid", "localhost")


def opted_out(experiment, target, channel) -> str | None:
    """The opt-out entry that covers this target or endpoint, if any.

    A domain entry covers its subdomains (``acme.com`` covers ``shop.acme.com``);
    an address entry covers that address. Case does not matter.
    """
    names = {target.domain.lower(), endpoint_host(channel, target.domain)}
    address = (channel.address or "").lower()
    for entry in experiment.ethics.opt_out:
        entry = entry.lower()
        if "@" in entry:
            if entry == address:
                return entry
        elif any(name == entry or name.endswith("." + entry) for name in names):
            return entry
    return None


def is_sandbox_endpoint(channel, target_domain: str, smtp_host: str) -> bool:
    """Whether reaching this channel stays on this machine (the sandbox).

    A web form must be on loopback. Email must leave through a loopback relay
    *and* be addressed to a reserved domain: a local MTA relays anything else
    to the world.
    """
    if channel.type == "email":
        return is_loopback(smtp_host) and is_reserved_domain(endpoint_host(channel, target_domain))
    if channel.url:
        return is_loopback(endpoint_host(channel, target_domain))
    return is_reserved_domain(target_domain)


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_host(channel: Channel, target_domain: str) -> str:
    """The host a channel reaches: the form's host, the mail domain, or the target's domain."""
    if channel.url:
        return (urlsplit(channel.url).hostname or "").lower()
    if channel.address:
        return channel.address.rsplit("@", 1)[1].lower()
    return target_domain


@dataclass(frozen=True)
class Reach:
    total: int
    domains: dict[str, int]


def live_reach(store, experiment_id: str) -> Reach:
    """Contacts per real (non-loopback) domain that going live would allow."""
    experiment = store.definition(experiment_id)
    hosts = {(t.id, c.key): endpoint_host(c, t.domain) for t in experiment.targets for c in t.channels}
    counts: Counter[str] = Counter()
    for contact in store.contacts(experiment_id, state="planned"):
        host = hosts.get((contact["target_id"], contact["channel_key"]), "")
        if not is_loopback(host):
            counts[host] += 1
    return Reach(sum(counts.values()), dict(sorted(counts.items())))
