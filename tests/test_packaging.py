"""The wheel must carry every package: pyproject lists them by name, so a new one must be added there."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_directory_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    renamed = {v: k for k, v in config["package-dir"].items()}
    found = set()
    for init in [*ROOT.joinpath("mailconf").rglob("__init__.py"), *ROOT.joinpath("providers").rglob("__init__.py")]:
        parts = list(init.parent.relative_to(ROOT).parts)
        parts[0] = renamed.get(parts[0], parts[0])
        found.add(".".join(parts))
    assert found == listed
