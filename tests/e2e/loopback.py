"""A shipped stack's config pointed at nothing that could answer: loopback and `.invalid`.

A stack previewed by a test must never name a private-range or public address, even one
that would not answer: every IPv4 address, network and range of the machines' side
(hosts, endpoints, VIPs, load-balancer pools, DNS servers) moves into 127.0.0.0/8 keeping
its lower three octets, so the stack's own arithmetic (pools inside the host network, no
overlaps) holds as before; every URL's host and every host name an endpoint is reached by
gets `.invalid` appended (or becomes 127.0.0.1 where it was an address). The cluster's
internal ranges (pods, services) are not addresses anything connects to and stay.
`leaks()` is the guard: what it returns must be empty before a test uses the stack.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# Cluster-internal ranges: routed inside the cluster only, never an endpoint.
INTERNAL = {"clusterforge:kubernetes.podCidr", "clusterforge:kubernetes.serviceCidr"}
# Resolvers: a loopback one is refused (CoreDNS would forward to itself) and any other is a
# real address, so a test stack has none (the field is optional).
DROPPED = {"clusterforge:hosts.network.dns"}
# Keys whose string values (or list items) are host names something connects to.
HOST_NAME_KEYS = {"host", "hostnames", "certSans", "searchDomain", "ntpServers", "servers"}
SECTIONS = ("clusterforge:kubernetes", "clusterforge:hosts", "clusterforge:addons", "clusterforge:provisioning")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def _address(text: str) -> str | None:
    try:
        addr = ipaddress.IPv4Address(text)
    except ValueError:
        return None
    return str(ipaddress.IPv4Address((127 << 24) | (int(addr) & 0xFFFFFF)))


def _network(text: str) -> str | None:
    if "/" not in text:
        return None
    try:
        net = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return None
    if net.prefixlen < 8:
        return None
    return f"{_address(text.split('/')[0])}/{text.split('/')[1]}"


def _range(text: str) -> str | None:
    parts = text.split("-")
    if len(parts) != 2:
        return None
    low, high = (_address(p.strip()) for p in parts)
    return f"{low}-{high}" if low and high else None


def _url(text: str) -> str | None:
    if not _URL.match(text):
        return None
    parts = urlsplit(text)
    host = parts.hostname or ""
    new = "127.0.0.1" if _address(host) else _invalid(host)
    netloc = new + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _invalid(name: str) -> str:
    return name if name.endswith(".invalid") or name == "127.0.0.1" else f"{name}.invalid"


def _rewrite(value: Any, key: str, path: str) -> Any:
    if isinstance(value, dict):
        return {k: _rewrite(v, str(k), f"{path}.{k}") for k, v in value.items() if f"{path}.{k}" not in DROPPED}
    if isinstance(value, list):
        return [_rewrite(v, key, f"{path}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str) or path in INTERNAL:
        return value
    for convert in (_url, _network, _range, _address):
        new = convert(value)
        if new is not None:
            return new
    if key in HOST_NAME_KEYS and value and not value.startswith("/"):
        return _invalid(value)
    return value


def loopback(config: dict[str, Any]) -> dict[str, Any]:
    """The stack file's `config:` mapping with every endpoint on loopback or `.invalid`."""
    return {key: _rewrite(value, key, key) if key in SECTIONS else value for key, value in config.items()}


def _leaks(value: Any, key: str, path: str) -> list[str]:
    if isinstance(value, dict):
        return [leak for k, v in value.items() for leak in _leaks(v, str(k), f"{path}.{k}")]
    if isinstance(value, list):
        return [leak for i, v in enumerate(value) for leak in _leaks(v, key, f"{path}[{i}]")]
    if not isinstance(value, str) or path in INTERNAL:
        return []
    if _URL.match(value):
        host = urlsplit(value).hostname or ""
        return [] if host == "127.0.0.1" or host.endswith(".invalid") else [f"{path}: {value}"]
    for text in re.split(r"[-/\s,]", value):
        if _address(text) and not ipaddress.IPv4Address(text).is_loopback:
            return [f"{path}: {value}"]
    if key in HOST_NAME_KEYS and value and not value.startswith("/") and not value.endswith(".invalid") \
            and not _address(value):
        return [f"{path}: {value}"]
    return []


def leaks(config: dict[str, Any]) -> list[str]:
    """Every value of the stack that still names something outside loopback and `.invalid`."""
    return [leak for key, value in config.items() for leak in _leaks(value, key, key)]
