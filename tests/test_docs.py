"""The docs stay true: every config key and output column is documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sim.config import POLICY_CONFIGS, SimConfig
from sim.metrics import Column
from sim.runner import options

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
ODD = (ROOT / "docs" / "ODD.md").read_text()


def keys(schema, prefix=""):
    for item in dataclasses.fields(schema):
        if item.name in {"policy", "name"}:
            continue
        if dataclasses.is_dataclass(item.type) or item.name in {
            "graph",
            "market",
            "users",
            "trust",
            "purchase",
            "sellers",
        }:
            yield from keys(type(getattr(schema(), item.name)), f"{prefix}{item.name}.")
        else:
            yield f"{prefix}{item.name}"


ALL_KEYS = sorted(
    {*keys(SimConfig), *(f"policy.{k}" for cfg in POLICY_CONFIGS.values() for k in keys(cfg))}
)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_config_key_is_in_the_readme(key):
    assert f"`{key}`" in README


@pytest.mark.parametrize("column", [c.value for c in Column])
def test_every_output_column_is_in_the_readme_and_the_odd(column):
    assert f"`{column}`" in README
    assert f"`{column}`" in ODD


@pytest.mark.parametrize(
    "scenario", options("scenario", user_files=False) + options("graph", user_files=False)
)
def test_every_option_is_in_the_readme(scenario):
    assert f"`{scenario}`" in README
