"""A real RFC 3161 timestamp authority on 127.0.0.1 for the tests: the TSAs of
``examples/tsa.py`` (OpenSSL's own ``openssl ts -reply`` with a test CA made here; its docstring
describes the chain and the ``/good``, ``/expired`` and ``/failing`` TSAs), as a pytest fixture.
``faketime`` must be installed under CI (.ci/run installs it)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest


def _load_examples_tsa() -> types.ModuleType:
    """``examples/tsa.py``, the one implementation of the test TSA (examples/ is no package)."""
    name = "archiver_examples_tsa"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parent.parent / "examples" / "tsa.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


_tsa = _load_examples_tsa()
EXPIRED_SIGNS_AT: str = _tsa.EXPIRED_SIGNS_AT
Tsa = _tsa.Tsa
make_pki = _tsa.make_pki
reply = _tsa.reply
serving = _tsa.serving

__all__ = ["EXPIRED_SIGNS_AT", "Tsa", "make_pki", "reply", "require_faketime", "serving", "tsa"]


def require_faketime() -> None:
    """faketime is needed for the expired TSA; under CI it must be there (fail, not skip)."""
    if shutil.which("faketime") is None:
        if os.environ.get("CI"):
            pytest.fail("faketime is not installed (apt-get install faketime); CI must run "
                        "the timestamp tests")
        pytest.skip("faketime is not installed")


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tsa]:
    """The TSAs on 127.0.0.1, for the whole session."""
    require_faketime()
    folder = tmp_path_factory.mktemp("tsa")
    make_pki(folder)
    with serving(folder) as running:
        yield running
