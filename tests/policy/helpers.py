"""Resources for policy tests, shaped as the mock runtime and the engine adapter produce them."""
from __future__ import annotations

from clusterforge_policy.model import Resource

STACK = "urn:pulumi:s::clusterforge::"


def urn(type_: str, name: str, parent_type: str = "") -> str:
    chain = f"{parent_type}${type_}" if parent_type else type_
    return f"{STACK}{chain}::{name}"


def res(type_: str, name: str, parent: str = "", deps=(), secret_outputs=(), **props) -> Resource:
    parent_type = parent.split("::")[2].rsplit("$", 1)[-1] if parent else ""
    return Resource(urn=urn(type_, name, parent_type), type=type_, name=name, props=props, parent=parent,
                    dependencies=tuple(d.urn if isinstance(d, Resource) else d for d in deps),
                    secret_outputs=tuple(secret_outputs))


def release(name: str, chart: str | None = None, version="1.2.3", parent="", deps=(), **props) -> Resource:
    return res("kubernetes:helm.sh/v3:Release", name, parent, deps, chart=chart or name, version=version, **props)


def k8s(kind: str, name: str, group_version="v1", parent="", deps=(), **body) -> Resource:
    type_ = f"kubernetes:{'core/' + group_version if '/' not in group_version else group_version}:{kind}"
    return res(type_, f"{kind.lower()}-{name}", parent, deps, apiVersion=group_version, kind=kind,
               metadata={"name": name, **body.pop("metadata", {})}, **body)


def component(type_: str, name: str) -> str:
    return urn(type_, name, "clusterforge:index:Cluster")
