"""URLs, schemes and trust of every endpoint, mirror, image and key the stack fetches.

TLS (https, oci) wherever something is fetched without another proof of integrity; plain
http only where what comes back is verified anyway (a checksummed image, a signed apt
mirror). Credentials never sit in a URL (they would be stored in plain text). Checksums
and signing keys are checked for what they claim to be.
"""
from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from components.config.base import Finding, join_path
from components.config.formats import url_errors
from components.config.images import REGISTRY_HOST, repository_errors
from components.config.k8s_names import host_errors

_CHECKSUM_HEX = {"sha256": 64, "sha512": 128}
_UNDATED = re.compile(r"/(latest|current|daily)(/|$)")
_ARMOR = re.compile(r"-----BEGIN PGP PUBLIC KEY BLOCK-----\s*\n(.*?)-----END PGP PUBLIC KEY BLOCK-----",
                    re.DOTALL)
_OPENPGP_PUBLIC_KEY_TAG = 6


def trust_findings(cfg) -> list[Finding]:
    rules = (_proxmox, _charts, _apt_mirror, _registry_mirrors, _time_servers, _kwok_binaries)
    return [f for rule in rules for f in rule(cfg)]


def _url(path: str, value: str, schemes: tuple[str, ...], fix: str) -> Iterator[Finding]:
    for err in url_errors(value, schemes):
        yield Finding(path, err, fix)


def _proxmox(cfg) -> Iterator[Finding]:
    px = cfg.hosts.proxmox
    if px is None:
        return
    yield from _url("hosts.proxmox.endpoint", px.endpoint, ("https",),
                    "give the API URL the Proxmox web UI uses, e.g. https://pve1.example:8006/")
    t = px.template
    path = "hosts.proxmox.template"
    schemes = ("https", "http") if t.image_checksum else ("https",)
    yield from _url(f"{path}.imageUrl", t.image_url, schemes,
                    "download over https, or set imageChecksum so Proxmox verifies a plain-http download")
    if _UNDATED.search(t.image_url):
        yield Finding(f"{path}.imageUrl", f"{t.image_url} is not a dated image; a rebuild would get another one",
                      "use the dated directory of the image (e.g. .../trixie/20251117-2299/...)")
    if t.image_checksum is not None:
        want = _CHECKSUM_HEX[t.checksum_algorithm]
        if not re.fullmatch(f"[0-9a-fA-F]{{{want}}}", t.image_checksum):
            yield Finding(f"{path}.imageChecksum", f"a {t.checksum_algorithm} checksum is {want} hex digits, "
                                                   f"this is {len(t.image_checksum)} characters",
                          f"copy the image's line from {t.checksum_algorithm.upper()}SUMS, or set checksumAlgorithm")


def _charts(cfg) -> Iterator[Finding]:
    source = cfg.addons.chart_source
    if source is not None and source.repository is not None:
        yield from _url("addons.chartSource.repository", source.repository, ("https", "oci"),
                        "give the mirror's https:// (or oci://) URL; credentials go in Helm's own config")
    for i, chart in enumerate(cfg.addons.charts):
        yield from _url(join_path("addons", "charts", i, "repository"), chart.repository, ("https", "oci"),
                        "use the chart repository's https:// (or oci://) URL; plain http lets anyone on the "
                        "path swap the chart")


def _kwok_binaries(cfg) -> Iterator[Finding]:
    """kwokctl downloads a binary given as a URL (and does not verify it): https only."""
    kwok = cfg.hosts.kwok_cluster
    if kwok is None:
        return
    for field, value in sorted(kwok.binaries.model_dump(by_alias=True, exclude_none=True).items()):
        if re.match(r"[a-z][a-z0-9+.-]*://", value):
            yield from _url(f"hosts.kwokCluster.binaries.{field}", value, ("https",),
                            "download over https, or give the binary's local path (scripts/toolchain.sh builds them)")


def pgp_public_key_errors(text: str) -> list[str]:
    """An ASCII-armoured OpenPGP public key: armour, base64, CRC-24 and a public-key packet."""
    match = _ARMOR.search(text)
    if not match:
        return ["not an ASCII-armoured OpenPGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)"]
    lines = [ln.strip() for ln in match.group(1).splitlines()]
    if "" in lines:  # armour headers end at the first blank line
        lines = lines[lines.index("") + 1:]
    checksum = next((ln[1:] for ln in lines if ln.startswith("=")), None)
    body = "".join(ln for ln in lines if ln and not ln.startswith("="))
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return ["the key block is not valid base64"]
    if checksum is not None and base64.b64encode(_crc24(data)).decode() != checksum:
        return ["the key block's checksum does not match: it was cut or altered"]
    if not data or not data[0] & 0x80:
        return ["the key block holds no OpenPGP packet"]
    tag = data[0] & 0x3F if data[0] & 0x40 else (data[0] >> 2) & 0x0F
    if tag != _OPENPGP_PUBLIC_KEY_TAG:
        return [f"the key block starts with an OpenPGP packet of type {tag}, not a public key (6)"]
    return []


def _crc24(data: bytes) -> bytes:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return (crc & 0xFFFFFF).to_bytes(3, "big")


def _apt_mirror(cfg) -> Iterator[Finding]:
    air = cfg.provisioning.air_gapped
    if air is None:
        return
    path = "provisioning.airGapped"
    yield from _url(f"{path}.apt.uri", air.apt.uri, ("https", "http", "file"),
                    "give the mirror's http(s):// or file:/// URL as apt's sources take it")
    key = air.apt.signed_by
    if key is not None:
        if re.match(r"[a-z][a-z0-9+.-]*://", key):
            yield from _url(f"{path}.apt.signedBy", key, ("https",),
                            "fetch the signing key over https (a key fetched in plain text proves nothing), "
                            "or paste its ASCII armour")
        else:
            for err in pgp_public_key_errors(key):
                yield Finding(f"{path}.apt.signedBy", err, "paste the output of `gpg --armor --export KEYID`, "
                                                           "or give an https:// URL of the key")
    if air.image_repository is not None:
        for err in repository_errors(air.image_repository):
            yield Finding(f"{path}.imageRepository", err, "give the registry path holding the control-plane "
                                                          "images, e.g. registry.example:5000/k8s")


def _registry_mirrors(cfg) -> Iterator[Finding]:
    for registry, endpoints in sorted(cfg.provisioning.registry_mirrors.items()):
        path = join_path("provisioning", "registryMirrors", registry)
        if not REGISTRY_HOST.fullmatch(registry):
            yield Finding(path, f"{registry!r} is not a registry host", "use the registry's host[:port], e.g. docker.io")
        for i, endpoint in enumerate(endpoints):
            errs = url_errors(endpoint, ("https",))
            if re.search(r'[\s"\\]', endpoint):
                errs.append(f"{endpoint!r} has white space, quotes or backslashes")
            for err in errs:
                yield Finding(join_path(path, i), err, "give the mirror's https:// URL; containerd verifies "
                                                       "it against the system's CAs")


def _time_servers(cfg) -> Iterator[Finding]:
    for i, server in enumerate(cfg.provisioning.time_servers):
        for err in host_errors(server):
            yield Finding(join_path("provisioning", "timeServers", i), f"{server!r}: {err}",
                          "give an NTP server's DNS name or IP address, e.g. time.example.com")
