"""Every hook a plugin may implement is documented and exercised (datasette's rule)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from registry_core import _hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name, fn in vars(_hookspecs).items()
               if inspect.isfunction(fn) and hasattr(fn, f"{_hookspecs.PROJECT_NAME}_spec"))


def test_the_hooks_are_the_designed_ones() -> None:
    assert HOOKS == ["registry_register_models", "registry_register_weight_sources"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_and_tested(hook: str) -> None:
    assert "register(" in inspect.getdoc(getattr(_hookspecs, hook))
    assert f"`{hook}(register)`" in (ROOT / "README.md").read_text(), "the plugin guide must describe it"
    implementations = [p for p in (ROOT / "tests").rglob("test_*.py")
                       if p.name != Path(__file__).name and f"def {hook}(" in p.read_text()]
    assert implementations, f"no test implements {hook}"
