"""Kubernetes' own syntax rules for names, labels, annotations and taints, ported.

The regexes, lengths and messages are those of k8s.io/apimachinery/pkg/util/validation
(IsDNS1123Label, IsDNS1123Subdomain, IsWildcardDNS1123Subdomain, IsQualifiedName,
IsValidLabelValue) and of the API server's annotation and taint checks, so a value that
passes here is one the API server, the kubelet and kubeadm accept. Each `*_errors`
function returns the API server's messages (empty when valid); the Annotated types raise
them during config validation.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from ipaddress import ip_address
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + r"(\." + DNS1123_LABEL_FMT + ")*"
DNS1123_SUBDOMAIN_MAX = 253
WILDCARD_DNS1123_SUBDOMAIN_FMT = r"\*\." + DNS1123_SUBDOMAIN_FMT
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_FMT = f"({QUALIFIED_NAME_FMT})?"
LABEL_VALUE_MAX = 63
# The API server's limit on all annotations of one object together.
ANNOTATIONS_TOTAL_MAX = 256 * 1024
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

_DNS1123_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                      "and must start and end with an alphanumeric character")
_DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                          "'-' or '.', and must start and end with an alphanumeric character")
_WILDCARD_MSG = ("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
                 "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
                 "alphanumeric character")
_QUALIFIED_NAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                       "with an alphanumeric character")
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                    "or '.', and must start and end with an alphanumeric character")


def _full(fmt: str) -> re.Pattern[str]:
    return re.compile(f"^{fmt}$")


_DNS1123_LABEL = _full(DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN = _full(DNS1123_SUBDOMAIN_FMT)
_WILDCARD_SUBDOMAIN = _full(WILDCARD_DNS1123_SUBDOMAIN_FMT)
_QUALIFIED_NAME = _full(QUALIFIED_NAME_FMT)
_LABEL_VALUE = _full(LABEL_VALUE_FMT)


def _max_len(length: int) -> str:
    return f"must be no more than {length} characters"


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    shown = " or ".join(f"'{e}'" for e in examples)
    return f"{msg} (e.g. {shown}, regex used for validation is '{fmt}')"


def _errors(value: str, pattern: re.Pattern[str], max_len: int, msg: str, fmt: str, *examples: str) -> list[str]:
    errs = [_max_len(max_len)] if len(value) > max_len else []
    if not pattern.match(value):
        errs.append(_regex_error(msg, fmt, *examples))
    return errs


def dns1123_label_errors(value: str) -> list[str]:
    return _errors(value, _DNS1123_LABEL, DNS1123_LABEL_MAX, _DNS1123_LABEL_MSG, DNS1123_LABEL_FMT,
                   "my-name", "123-abc")


def dns1123_subdomain_errors(value: str) -> list[str]:
    return _errors(value, _DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MAX, _DNS1123_SUBDOMAIN_MSG,
                   DNS1123_SUBDOMAIN_FMT, "example.com")


def wildcard_subdomain_errors(value: str) -> list[str]:
    return _errors(value, _WILDCARD_SUBDOMAIN, DNS1123_SUBDOMAIN_MAX, _WILDCARD_MSG,
                   WILDCARD_DNS1123_SUBDOMAIN_FMT, "*.example.com")


def qualified_name_errors(value: str) -> list[str]:
    """Label keys, annotation keys and taint keys: `[prefix/]name`."""
    parts = value.split("/")
    errs: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += [f"prefix part {m}" for m in dns1123_subdomain_errors(prefix)]
    else:
        return ["a qualified name " + _regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name",
                                                   "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append(f"name part {_max_len(QUALIFIED_NAME_MAX)}")
    if not _QUALIFIED_NAME.match(name):
        errs.append("name part " + _regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name",
                                                "123-abc"))
    return errs


def label_value_errors(value: str) -> list[str]:
    return _errors(value, _LABEL_VALUE, LABEL_VALUE_MAX, _LABEL_VALUE_MSG, LABEL_VALUE_FMT,
                   "MyValue", "my_value", "12345")


def annotations_errors(annotations: Mapping[str, str]) -> list[str]:
    """The API server's ValidateAnnotations: qualified keys (lower-cased), 256 KiB in all."""
    errs = [f"key {key!r}: {m}" for key in annotations for m in qualified_name_errors(key.lower())]
    total = sum(len(k) + len(v) for k, v in annotations.items())
    if total > ANNOTATIONS_TOTAL_MAX:
        errs.append(f"annotations may not have more than {ANNOTATIONS_TOTAL_MAX} bytes in all, these have {total}")
    return errs


def is_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


def host_errors(value: str) -> list[str]:
    """kubeadm's ParseHostPort rule for a host: an IP address or an RFC 1123 subdomain."""
    if is_ip(value) or not dns1123_subdomain_errors(value):
        return []
    return ["host must be a valid IP address or a valid RFC-1123 DNS subdomain"]


def cert_san_errors(value: str) -> list[str]:
    """kubeadm's ValidateCertSANs: an IP, a DNS subdomain, or one with a `*.` wildcard."""
    if is_ip(value) or not dns1123_subdomain_errors(value) or not wildcard_subdomain_errors(value):
        return []
    return ["altname is not a valid IP address, DNS label or a DNS label with subdomain wildcards: "
            + "; ".join(dns1123_subdomain_errors(value) + wildcard_subdomain_errors(value))]


def taints_errors(taints) -> list[tuple[int, str, str]]:
    """(index, field, message) per problem: the API server's validateNodeTaints.

    `taints` are objects with key, value and effect (config models or HostSpec taints).
    """
    out: list[tuple[int, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, taint in enumerate(taints):
        out += [(i, "key", m) for m in qualified_name_errors(taint.key)]
        out += [(i, "value", m) for m in label_value_errors(taint.value or "")]
        if taint.effect not in TAINT_EFFECTS:
            out.append((i, "effect", f"unsupported value {taint.effect!r}: use one of {', '.join(TAINT_EFFECTS)}"))
        if (taint.key, taint.effect) in seen:
            out.append((i, "key", f"taints must be unique by key and effect pair; {taint.key}:{taint.effect} "
                                  f"is also taint [{seen[taint.key, taint.effect]}]"))
        seen.setdefault((taint.key, taint.effect), i)
    return out


def invalid(message: str, fix: str = "") -> PydanticCustomError:
    """A validation error the loader turns into a Finding with this message and fix."""
    return PydanticCustomError("clusterforge", "{message}", {"message": message, "fix": fix})


def _checker(errors, what: str, fix: str):
    def check(value: str) -> str:
        errs = errors(value)
        if errs:
            raise invalid(f"{value!r} is not {what}: {'; '.join(errs)}", fix)
        return value
    return check


DnsLabel = Annotated[str, AfterValidator(_checker(
    dns1123_label_errors, "a DNS label (RFC 1123)",
    "use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit"))]
DnsSubdomain = Annotated[str, AfterValidator(_checker(
    dns1123_subdomain_errors, "a DNS subdomain (RFC 1123)",
    "use dot-separated DNS labels of lower-case letters, digits and '-', e.g. cluster.local"))]
LabelKey = Annotated[str, AfterValidator(_checker(
    qualified_name_errors, "a valid label key",
    "use an optional DNS subdomain prefix and a name, e.g. example.com/gpu-type"))]
LabelValue = Annotated[str, AfterValidator(_checker(
    label_value_errors, "a valid label value",
    "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"))]
Host = Annotated[str, AfterValidator(_checker(
    host_errors, "a host kubeadm accepts", "give an IP address or a DNS name such as k8s-api.example.com"))]
CertSan = Annotated[str, AfterValidator(_checker(
    cert_san_errors, "a certificate SAN kubeadm accepts",
    "give an IP address, a DNS name, or a wildcard name such as *.example.com"))]


def _annotations(value: dict[str, str]) -> dict[str, str]:
    errs = annotations_errors(value)
    if errs:
        raise invalid(f"annotations are not valid: {'; '.join(errs)}",
                      "use keys with an optional DNS subdomain prefix and a name, e.g. example.com/note")
    return value


Labels = dict[LabelKey, LabelValue]
Annotations = Annotated[dict[str, str], AfterValidator(_annotations)]
