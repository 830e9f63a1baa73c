"""Saved plans: `plan --out FILE` writes the JSON plan; `apply FILE` applies it only if nothing moved.

The file holds no secret values. Applying it re-plans from the same manifest and checks
that the manifest, each target's live state, mailconf's state of it and the secrets are
exactly what the plan was made against; any difference refuses the apply and names what
moved, so what was reviewed is what runs.

The manifest path is stored relative to the plan file (or absolute), so `apply FILE` works
from any directory. The file is untrusted input: its shape is checked before any use, and a
file that is not a regular file, too big, not UTF-8, not JSON or nested too deep is refused
with one line.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError

from mailconf.engine.render import JSON_VERSION, to_dict
from mailconf.engine.review import Review
from mailconf.errors import StateError, UsageError

# A plan of 100,000 changes is a few tens of MiB; anything far bigger is not a plan.
MAX_BYTES = 512 * 1024 * 1024


class SavedTarget(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    target: StrictStr
    live_fingerprint: StrictStr
    state_fingerprint: StrictStr


class SavedPlan(BaseModel):
    """What `apply FILE` reads back; the rest of the file is for reviewers."""

    model_config = ConfigDict(extra="ignore", strict=True)

    version: Literal[1]
    manifest: StrictStr
    manifest_fingerprint: StrictStr
    secrets_fingerprint: StrictStr
    targets: list[SavedTarget]


def save(review: Review, path: Path) -> None:
    data = to_dict(review)
    manifest = Path(review.plan.manifest)
    # relative to the plan file, so that the plan applies from any working directory
    data["manifest"] = os.path.relpath(manifest.resolve(), path.resolve().parent)
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the plan to {path}: {exc.strerror or exc}") from None


def is_saved_plan(path: Path) -> bool:
    """A PATH ending in .json is a saved plan; anything else is a manifest."""
    return path.suffix == ".json" and not path.is_dir()


def load(path: Path) -> SavedPlan:
    """The saved plan in `path`, checked; UsageError with one line when it is not one."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{path} is not a regular file: a saved plan is a file written by `mailconf plan --out`")
        if info.st_size > MAX_BYTES:
            raise UsageError(f"{path} is {info.st_size} bytes, over the {MAX_BYTES} a saved plan may have")
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the saved plan {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not a saved plan: not UTF-8 (invalid byte at offset {exc.start})") from None
    except ValueError as exc:
        raise UsageError(f"{path} is not a saved plan: not JSON ({exc})") from None
    except RecursionError:
        raise UsageError(f"{path} is not a saved plan: JSON nested too deeply") from None
    try:
        return SavedPlan.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the top level"
        raise UsageError(
            f"{path} is not a mailconf plan file (version {JSON_VERSION}): {where}: {error['msg']}; make it again with `mailconf plan --out`"
        ) from None


def manifest_path(saved: SavedPlan, plan_file: Path) -> Path:
    """The manifest the plan was made from: a directory or a regular file, never a device or a FIFO."""
    manifest = plan_file.parent / saved.manifest  # an absolute path stays absolute
    try:
        mode = manifest.stat().st_mode
    except OSError as exc:
        raise UsageError(f"the manifest of the saved plan {plan_file} ({manifest}) cannot be opened: {exc.strerror or exc}") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise UsageError(f"the manifest of the saved plan {plan_file} ({manifest}) is not a file or a directory")
    return manifest


def verify(saved: SavedPlan, fresh: Review) -> None:
    """Refuse when anything the saved plan depended on has changed since it was made; name what moved."""
    again = "run `mailconf plan --out` again and review it"
    if saved.manifest_fingerprint != fresh.plan.manifest_fingerprint:
        raise StateError(f"the manifest changed since this plan was saved: {again}")
    live = {t.target: t.live_fingerprint for t in fresh.plan.targets}
    then = {t.target: t for t in saved.targets}
    if then.keys() != live.keys():
        raise StateError("the saved plan covers other targets than this run: pass the same --target options")
    moved = sorted(name for name in then if then[name].live_fingerprint != live[name])
    if moved:
        raise StateError(f"the live state of target {', '.join(moved)} changed since this plan was saved: {again}")
    moved = sorted(name for name in then if then[name].state_fingerprint != fresh.targets[name].state_fingerprint)
    if moved:
        raise StateError(f"mailconf's state of target {', '.join(moved)} changed since this plan was saved (another apply ran): {again}")
    if saved.secrets_fingerprint != fresh.plan.secrets_fingerprint:
        raise StateError(f"a secret changed since this plan was saved: {again}")
