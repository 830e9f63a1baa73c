"""Every target names an installed driver, and its settings fit that driver's settings model.

Checked at validate time, with locations, so a typo in a server name fails the pull request,
not the apply.

Passing::

    targets: {embedded: {driver: sqlite, settings: {path: live.db}}}

Failing::

    targets: {embedded: {driver: sqlite, settings: {pth: live.db}}}
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError

from mailconf.diagnostics import Severity
from mailconf.errors import UsageError
from mailconf.model import Manifest
from mailconf.rules import Problem
from mailconf.rules.literal_secret import is_literal_secret

ID = "target-settings"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    from mailconf.engine.targets import driver_class

    for name, target in manifest.targets.items():
        base = ("targets", name)
        try:
            cls = driver_class(target.driver)
        except UsageError as exc:
            yield Problem((*base, "driver"), str(exc))
            continue
        try:
            cls.Settings.model_validate(target.settings)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                if error["loc"] and is_literal_secret(error["loc"][-1], error.get("input")):
                    continue  # literal-secret reports it
                path = (*base, "settings", *error["loc"])
                field = ".".join(str(p) for p in error["loc"]) or "settings"
                detail = "unknown setting" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
                yield Problem(path, f"{target.driver} setting {field}: {detail}", key=error["type"] == "extra_forbidden")
