"""Who is asking: the client's address, as the trusted reverse proxy saw it.

Behind a reverse proxy every request comes from the proxy, so REMOTE_ADDR alone would make every
per-client limit a global one. The proxy appends the address it saw to X-Forwarded-For (or to
Forwarded, RFC 7239); a client can put anything it likes in front of that. So the header is read
from the right: addresses of proxies we trust (settings.TRUSTED_PROXIES, addresses or networks)
are skipped, and the first address that is not one of ours is the client. When the request did
not come from a trusted proxy, the headers are ignored and REMOTE_ADDR is the client.

IPv6 clients are grouped by their /64 network, which is what one household or phone gets: a
client cannot escape a limit by changing the low bits of its address.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_ATTRIBUTE = "_clemency_client_address"


@cache
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address: Address) -> bool:
    return any(address in network for network in _trusted(tuple(settings.TRUSTED_PROXIES)))


def _parse(text: str) -> Address | None:
    """One address from a header or REMOTE_ADDR; ports, brackets and quotes allowed."""
    value = text.strip().strip('"')
    if value.startswith("["):  # "[2001:db8::1]:4711"
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # "192.0.2.1:4711"
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _forwarded_chain(request: HttpRequest) -> list[str]:
    """The addresses the proxies recorded, nearest last."""
    if settings.CLIENT_ADDRESS_HEADER == "forwarded":
        chain = []
        for element in request.META.get("HTTP_FORWARDED", "").split(","):
            for pair in element.split(";"):
                name, _, value = pair.partition("=")
                if name.strip().lower() == "for":
                    chain.append(value)
        return chain
    return request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")


def _find(request: HttpRequest) -> Address | None:
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None or not _is_trusted(peer):
        return peer
    client = peer
    for entry in reversed(_forwarded_chain(request)):
        if not entry.strip():
            continue
        address = _parse(entry)
        if address is None:
            # Garbage (or "unknown") where an address should be: stop at the last hop we trust.
            break
        client = address
        if not _is_trusted(address):
            break
    return client


def client_address(request: HttpRequest) -> str:
    """The client's address as text: what limits count against (an IPv6 /64 as its network)."""
    cached = getattr(request, _ATTRIBUTE, None)
    if cached is not None:
        return cached
    address = _find(request)
    if address is None:
        text = ""
    elif isinstance(address, ipaddress.IPv6Address):
        text = str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    else:
        text = str(address)
    setattr(request, _ATTRIBUTE, text)
    return text


def axes_client_address(request: HttpRequest) -> str | None:
    """For django-axes (settings.AXES_CLIENT_IP_CALLABLE), which stores a plain address: an IPv6
    client as the first address of its /64, so that its whole network still counts as one."""
    text = client_address(request)
    if not text:
        return None
    return str(ipaddress.ip_network(text, strict=False).network_address)


def client_network(client: str) -> str | None:
    """For an IPv6 client (a /64), the /48 around it: what one site or customer is usually
    given, so that its 65,536 /64s can also be counted together. None for IPv4."""
    if ":" not in client:
        return None
    return str(ipaddress.ip_network(client, strict=False).supernet(new_prefix=48))
