"""``macroattr run --source auto`` with a FRED key, against the replay FRED server."""

from __future__ import annotations

import importlib.util
import secrets
import sys
from pathlib import Path

import pytest

from macroattr.cli import main


def _fred_server_class():
    """The replay server of the FRED tests, loaded by path (tests/ is not a package)."""
    path = Path(__file__).resolve().parents[1] / "fred_server.py"
    spec = importlib.util.spec_from_file_location("macroattr_test_fred_server", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module.FredServer


@pytest.fixture
def fred(monkeypatch):
    key = secrets.token_hex(16)
    with _fred_server_class()(key) as srv:
        monkeypatch.setenv("FRED_API_KEY", key)
        monkeypatch.setenv("MACROATTR_FRED_URL", srv.url)
        yield key, srv


def test_run_auto_with_key_refreshes_fred_and_never_leaks_the_key(fred, tmp_path, capsys):
    from macroattr.models import ModelConfig

    key, srv = fred
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(ModelConfig.shipped("static_monthly").override(method="exact", draws=300, chains=2).to_toml())
    store, out, cache = tmp_path / "store", tmp_path / "site", tmp_path / "cache"
    with pytest.raises(SystemExit) as exc:
        main(["run", "--source", "auto", "--config", str(cfg), "--store", str(store),
              "--out", str(out), "--cache-dir", str(cache)])
    stdout, stderr = capsys.readouterr()
    assert exc.value.code in (0, None), stderr
    report = Path(stdout.strip().splitlines()[-1])
    assert report.exists()
    assert "refreshing" in stderr and "FRED:" in stderr
    assert srv.requests, "the pipeline never called FRED"
    html = report.read_text()
    assert '<td>fred</td>' in html  # provenance says which series came from FRED
    # the key appears nowhere: output, report, index, manifest, store, cached fit
    assert key not in stdout + stderr
    for path in [*out.rglob("*"), *store.rglob("*"), *cache.rglob("*")]:
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
