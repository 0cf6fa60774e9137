"""CRD schemas for `check` without --crd-schemas: a cache filled from pinned upstream URLs."""
from __future__ import annotations

import urllib.error

import pytest

from clusterforge import crd_cache
from clusterforge.stackfile import prepare_offline, read_stack


@pytest.fixture()
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cache_fills_from_the_pinned_sources(crd_dir, cache_home, monkeypatch):
    cfg, _ = prepare_offline(read_stack("onprem"))
    source = crd_dir / "stages.kwok.x-k8s.io.yaml"
    monkeypatch.setattr(crd_cache, "crd_sources", lambda cfg: [("stages.yaml", source.as_uri())])
    directory = crd_cache.cached_crd_dir(cfg)
    assert directory.is_relative_to(cache_home)
    assert (directory / "stages.yaml").read_bytes() == source.read_bytes()
    # A second call finds it cached and fetches nothing.
    monkeypatch.setattr(crd_cache.urllib.request, "urlopen",
                        lambda *a, **k: pytest.fail("fetched although cached"))
    assert crd_cache.cached_crd_dir(cfg) == directory


def test_offline_with_an_empty_cache_says_what_to_do(cache_home, monkeypatch):
    cfg, _ = prepare_offline(read_stack("onprem"))
    monkeypatch.setattr(crd_cache, "crd_sources",
                        lambda cfg: [("x.yaml", "https://example.invalid/x.yaml")])

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(crd_cache.urllib.request, "urlopen", offline)
    with pytest.raises(crd_cache.CrdSourceError, match="--crd-schemas DIR"):
        crd_cache.cached_crd_dir(cfg)


def test_emulated_stack_pins_its_kwok_crds():
    cfg, _ = prepare_offline(read_stack("emulated"))
    [(name, url)] = [s for s in crd_cache.crd_sources(cfg) if s[0].startswith("kwok-")]
    assert url.endswith(f"/{cfg.emulation.kwok.version}/kwok.yaml")
