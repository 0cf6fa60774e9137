"""Container image references, by the grammar containerd and the registries apply.

A port of github.com/distribution/reference's regular expressions (the grammar
containerd, kubelet and kind use to parse `[host[:port]/]path[:tag][@digest]`), and our
own rule on top: an image we fetch is pinned by an exact version tag or a sha256 digest.
"""
from __future__ import annotations

import re

_ALNUM = "[a-z0-9]+"
_SEPARATOR = "(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN_AND_PORT = rf"{_HOST}(?::[0-9]+)?"
_PATH_COMPONENT = f"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_REMOTE_NAME = f"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_NAME = f"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(f"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
NAME = re.compile(f"^{_NAME}$")
REGISTRY_HOST = re.compile(f"^{_DOMAIN_AND_PORT}$")
NAME_MAX = 255
_VERSION_TAG = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.\-]+)?$")


def reference_errors(ref: str) -> list[str]:
    """Why `ref` is not an image reference (empty when it is one)."""
    match = REFERENCE.match(ref)
    if not match:
        return [f"{ref!r} is not an image reference ([registry[:port]/]path[:tag][@digest], "
                "path in lower case)"]
    if len(match.group(1)) > NAME_MAX:
        return [f"the repository name is longer than {NAME_MAX} characters"]
    return []


def repository_errors(name: str) -> list[str]:
    """A repository without tag or digest (kubeadm's imageRepository, a registry path)."""
    if not NAME.match(name) or len(name) > NAME_MAX:
        return [f"{name!r} is not an image repository ([registry[:port]/]path, lower case, no tag)"]
    return []


def pinned_image_ref(ref: str) -> bool:
    """A valid reference pinned by a sha256 digest or an exact version tag."""
    match = REFERENCE.match(ref)
    if not match:
        return False
    tag, digest = match.group(2), match.group(3)
    if digest is not None:
        return bool(re.fullmatch(r"sha256:[0-9a-f]{64}", digest))
    return tag is not None and bool(_VERSION_TAG.match(tag))
