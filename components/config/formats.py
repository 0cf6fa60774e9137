"""Value formats of the other systems the config feeds: Linux, Proxmox, AWS, Helm, Pulumi.

Each type checks a value the way the consuming system does (its documented pattern or
length limit), so a mistake is reported with its config path before anything is created.
"""
from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

from components.config.k8s_names import DNS1123_SUBDOMAIN_FMT, dns1123_subdomain_errors, invalid


def _pattern(regex: str, what: str, fix: str, max_len: int | None = None):
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value) or (max_len is not None and len(value) > max_len):
            limit = f" of at most {max_len} characters" if max_len else ""
            raise invalid(f"{value!r} is not {what}{limit}", fix)
        return value
    return AfterValidator(check)


# Debian's adduser NAME_REGEX (cloud-init creates the user with it); 32 is useradd's limit.
LinuxUser = Annotated[str, _pattern(r"[a-z][-a-z0-9_]*", "a Linux user name",
                                    "use lower-case letters, digits, '-' and '_', starting with a letter", 32)]
# The kernel's IFNAMSIZ (16 with the NUL) and dev_valid_name: no '/', ':' or white space.
InterfaceName = Annotated[str, _pattern(r"[^/:\s]+", "a network interface name",
                                        "use the interface's name as `ip link` shows it, e.g. eth0", 15)]
# Proxmox's `pve-node` and `pve-storage-id` formats.
ProxmoxNode = Annotated[str, _pattern(r"(?i:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)", "a Proxmox node name",
                                      "use the node's name as `pvecm nodes` shows it", 63)]
ProxmoxStorage = Annotated[str, _pattern(r"[a-z][a-z0-9\-_.]*[a-z0-9]", "a Proxmox storage ID",
                                         "use a storage ID from `pvesm status`, e.g. local-lvm")]
# AWS identifiers: region codes, AMI and subnet IDs, instance types.
AwsRegion = Annotated[str, _pattern(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+", "an AWS region code",
                                    "use a region code such as eu-central-1")]
AwsAmi = Annotated[str, _pattern(r"ami-([0-9a-f]{8}|[0-9a-f]{17})", "an AMI ID",
                                 "use the image's ID, ami- and 8 or 17 hex digits")]
# An image's owner as DescribeImages takes it: an account ID or amazon, aws-marketplace, self.
AwsImageOwner = Annotated[str, _pattern(r"\d{12}|amazon|aws-marketplace|self", "an AMI owner",
                                        "use the publisher's 12-digit account ID (Debian: 136693071363)")]
# An AMI name (3-128 characters of letters, digits, ()[] ./'@_-), with the filter's * and ? wildcards.
AwsImageName = Annotated[str, _pattern(r"[A-Za-z0-9()\[\] ./'@_*?-]{3,128}", "an AMI name",
                                       "use the name the publisher gives, e.g. debian-13-amd64-20251117-2299")]
AwsSubnet = Annotated[str, _pattern(r"subnet-([0-9a-f]{8}|[0-9a-f]{17})", "a subnet ID",
                                    "use the subnet's ID, subnet- and 8 or 17 hex digits")]
AwsInstanceType = Annotated[str, _pattern(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type",
                                          "use a type such as m7i.large or g6.xlarge")]
# Helm: release names are DNS subdomains of at most 53 characters (ValidateReleaseName);
# chart names match Chart.yaml's name rule.
HelmRelease = Annotated[str, _pattern(DNS1123_SUBDOMAIN_FMT,
                                      "a Helm release name",
                                      "use lower-case letters, digits, '-' and '.'", 53)]
HelmChart = Annotated[str, _pattern(r"[a-zA-Z0-9._-]+", "a Helm chart name",
                                    "give the chart's name alone (e.g. reloader), its repository in `repository`")]
# A Pulumi config key name inside our namespace (the part after `clusterforge:`).
ConfigKeyName = Annotated[str, _pattern(r"[A-Za-z][A-Za-z0-9_]*", "a config key name",
                                        "use letters, digits and '_', e.g. sshPrivateKey")]


def url_errors(value: str, schemes: tuple[str, ...]) -> list[str]:
    """A URL with one of `schemes`, a host, and no credentials in it."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as err:
        return [f"{value!r} is not a URL ({err})"]
    if parts.scheme not in schemes:
        return [f"{value!r} has scheme {parts.scheme or '(none)'!r}; {' or '.join(s + '://' for s in schemes)} "
                "is needed"]
    if parts.scheme == "file":
        return [] if parts.path.startswith("/") else [f"{value!r} needs an absolute path"]
    if not parts.hostname:
        return [f"{value!r} has no host"]
    if parts.username or parts.password:
        return [f"{value!r} has credentials in it; they would be stored in plain text"]
    if dns1123_subdomain_errors(parts.hostname.lower()) and not re.fullmatch(r"[0-9.]+|[0-9a-f:]+", parts.hostname):
        return [f"{value!r} has an invalid host {parts.hostname!r}"]
    return []
