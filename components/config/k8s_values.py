"""Quantities and durations, checked by the rules of the programs that read them.

Quantities: the grammar of k8s.io/apimachinery's resource.Quantity (unsigned: no amount
we pass on may be negative), valued with the Kubernetes client's own
`kubernetes.utils.parse_quantity`. Durations: Go's time.ParseDuration (kubelet flags,
KWOK delays) and the prometheus-operator's duration pattern (Prometheus retention).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from kubernetes.utils import parse_quantity as _k8s_parse_quantity
from pydantic import AfterValidator, BeforeValidator

from components.config.k8s_names import invalid

# apimachinery's <quantity> ::= <number><suffix>, without the sign.
_QUANTITY = re.compile(
    r"^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$"
)
# Go's time.ParseDuration: "0", or signed sequences of decimal numbers with a unit.
_GO_DURATION = re.compile(r"^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$")
# The prometheus-operator's `Duration` (monitoring.coreos.com CRDs, e.g. Prometheus.spec.retention).
PROMETHEUS_DURATION_FMT = r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
_PROMETHEUS_DURATION = re.compile(PROMETHEUS_DURATION_FMT)


def parse_quantity(text: str) -> Decimal:
    """Value of a Kubernetes quantity ("1360Gi" -> bytes, "500m" -> 0.5); ValueError if invalid."""
    if not isinstance(text, str) or not _QUANTITY.match(text):
        raise ValueError(
            f"{text!r} is not a Kubernetes quantity; use a number with an optional suffix "
            "such as 96, 500m, 1360Gi or 3Ti"
        )
    try:
        return _k8s_parse_quantity(text)
    except (ValueError, ArithmeticError) as err:
        raise ValueError(f"{text!r} is not a Kubernetes quantity ({err}); use a smaller number or exponent") from None


def _quantity_text(value: Any) -> str:
    # YAML gives `cpu: 96` as an int; KEMU writes quantities unquoted, so accept numbers.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise invalid(f"{value!r} is not a Kubernetes quantity", "use a number or text such as 96 or 1360Gi")
    if isinstance(value, float):
        value = format(Decimal(str(value)).normalize(), "f")
    value = str(value)
    try:
        parse_quantity(value)
    except ValueError as err:
        raise invalid(str(err).split(";")[0], "use a number with an optional suffix such as 96, 500m, "
                                               "1360Gi or 3Ti") from None
    return value


def _positive(value: str) -> str:
    if parse_quantity(value) <= 0:
        raise invalid(f"{value!r} is zero", "give an amount above zero, e.g. 20Gi")
    return value


Quantity = Annotated[str, BeforeValidator(_quantity_text)]
"""A Kubernetes quantity kept as text ("1360Gi", "96"); numbers are accepted and stringified."""
PositiveQuantity = Annotated[Quantity, AfterValidator(_positive)]


def is_go_duration(text: str) -> bool:
    return bool(_GO_DURATION.match(text))


def _prometheus_duration(value: str) -> str:
    if not _PROMETHEUS_DURATION.match(value):
        raise invalid(f"{value!r} is not a Prometheus duration (pattern {PROMETHEUS_DURATION_FMT})",
                      "write units from y, w, d, h, m, s, ms largest first, without spaces, e.g. 15d or 1w3d")
    return value


PrometheusDuration = Annotated[str, AfterValidator(_prometheus_duration)]
