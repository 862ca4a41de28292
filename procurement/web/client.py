"""Where a request came from: the client's address and what it says about itself.

Recorded with each bid upload for the supervisors' risk rules (docs/supervision.md). Behind a
reverse proxy the peer is the proxy; its ``X-Forwarded-For`` is believed only when the peer is
listed in ``PROCUREMENT_TRUSTED_PROXIES``, and then only up to the first hop that is not itself
a trusted proxy: anything further left was written by the client and proves nothing.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from litestar import Request

FINGERPRINT_HEADER = "x-client-fingerprint"
MAX_FINGERPRINT = 128
MAX_AGENT = 160

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def trusted_networks(setting: str) -> tuple[Network, ...]:
    """``PROCUREMENT_TRUSTED_PROXIES`` parsed: addresses and CIDR blocks, comma-separated."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in setting.split(",") if item.strip())


def _trusted(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def address(request: Request, trusted_proxies: str) -> str:
    peer = request.client.host if request.client else ""
    networks = trusted_networks(trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in request.headers.getall("x-forwarded-for", []) for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:64]
    return hops[0][:64] if hops else peer


def fingerprint(request: Request) -> str:
    """``"<X-Client-Fingerprint> | <User-Agent>"``: the bid page and the CLI may send the first."""
    offered = request.headers.get(FINGERPRINT_HEADER, "").replace("|", "/").strip()[:MAX_FINGERPRINT]
    agent = request.headers.get("user-agent", "").strip()[:MAX_AGENT]
    return f"{offered} | {agent}"

