"""The guard that keeps previewed stacks off every real address (pure)."""
from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from clusterforge.stackfile import read_stack, stack_names
from tests.e2e.loopback import leaks, loopback

addresses = st.integers(min_value=1 << 24, max_value=(224 << 24) - 1).map(ipaddress.IPv4Address)


@given(addresses, st.integers(min_value=8, max_value=32))
def test_every_address_and_network_moves_to_loopback(addr, prefix):
    config = {"clusterforge:hosts": {"network": {"cidr": f"{addr}/{prefix}", "gateway": str(addr),
                                                 "dns": [str(addr)]},
                                     "pools": [{"addresses": [str(addr)], "firstAddress": str(addr)}]},
              "clusterforge:addons": {"metallb": {"addresses": [f"{addr}-{addr}"]}}}
    moved = loopback(config)
    assert leaks(moved) == []
    assert "dns" not in moved["clusterforge:hosts"]["network"]  # no resolver can be given in a test
    gateway = ipaddress.IPv4Address(moved["clusterforge:hosts"]["network"]["gateway"])
    assert gateway.is_loopback and int(gateway) & 0xFFFFFF == int(addr) & 0xFFFFFF
    if not addr.is_loopback:
        assert leaks(config)


def test_urls_and_host_names_go_to_invalid_and_cluster_ranges_stay():
    config = {"clusterforge:kubernetes": {"podCidr": "10.244.0.0/16", "serviceCidr": "10.96.0.0/12",
                                          "controlPlaneEndpoint": {"host": "k8s.example.internal", "port": 6443},
                                          "certSans": ["k8s.home.arpa", "192.168.10.10"]},
              "clusterforge:hosts": {"proxmox": {"endpoint": "https://pve1.home.arpa:8006/",
                                                 "template": {"imageUrl": "https://10.0.0.5/img.qcow2"}}}}
    moved = loopback(config)
    assert leaks(moved) == []
    kube = moved["clusterforge:kubernetes"]
    assert kube["podCidr"] == "10.244.0.0/16" and kube["serviceCidr"] == "10.96.0.0/12"
    assert kube["controlPlaneEndpoint"]["host"] == "k8s.example.internal.invalid"
    assert kube["certSans"] == ["k8s.home.arpa.invalid", "127.168.10.10"]
    proxmox = moved["clusterforge:hosts"]["proxmox"]
    assert proxmox["endpoint"] == "https://pve1.home.arpa.invalid:8006/"
    assert proxmox["template"]["imageUrl"] == "https://127.0.0.1/img.qcow2"
    assert sorted(leaks(config)) == sorted([
        "clusterforge:kubernetes.controlPlaneEndpoint.host: k8s.example.internal",
        "clusterforge:kubernetes.certSans[0]: k8s.home.arpa", "clusterforge:kubernetes.certSans[1]: 192.168.10.10",
        "clusterforge:hosts.proxmox.endpoint: https://pve1.home.arpa:8006/",
        "clusterforge:hosts.proxmox.template.imageUrl: https://10.0.0.5/img.qcow2"])


def test_every_shipped_stack_is_caught_before_and_clean_after():
    for name in stack_names():
        values = read_stack(name).values
        moved = loopback(values)
        assert leaks(moved) == [], name
