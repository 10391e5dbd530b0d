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
