"""On a terminal, apply asks before changing anything and takes only 'yes'."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import yaml

from tests.engine.conftest import SECRET, manifest, read_until_closed


def on_a_terminal(argv: list[str], keys: bytes, **env: str) -> tuple[int, str]:
    """Run `mailconf ARGV` on a pseudo-terminal, type `keys` at its prompt; (exit code, everything it showed)."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "MC_TEST_PASSWORD": SECRET, "NO_COLOR": "1", **env}
    proc = subprocess.Popen([sys.executable, "-m", "mailconf", *argv], stdin=terminal, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    output = b""
    while b"Only 'yes' will be accepted" not in output:
        output += os.read(controller, 4096)
    os.write(controller, keys)
    code = proc.wait(timeout=60)
    return code, read_until_closed(controller, output)


def _apply_on_a_terminal(root: Path, keys: bytes) -> tuple[int, str]:
    return on_a_terminal(["apply", str(root)], keys)


def test_anything_but_yes_cancels(tmp_path: Path) -> None:
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(manifest()))
    code, output = _apply_on_a_terminal(tmp_path, b"y\n")
    assert code == 1 and "Apply cancelled." in output
    assert not (tmp_path / "live.db").exists()  # nothing was written


def test_yes_applies_with_a_progress_counter(tmp_path: Path) -> None:
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(manifest()))
    code, output = _apply_on_a_terminal(tmp_path, b"yes\n")
    assert code == 0 and "[1/4] account/a0: created" in output and "4 succeeded, 0 failed" in output


def test_end_of_input_at_the_prompt_is_a_no(tmp_path: Path) -> None:
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(manifest()))
    code, output = _apply_on_a_terminal(tmp_path, b"\x04")  # Ctrl-D
    assert code == 1 and "Apply cancelled." in output and "Traceback" not in output
    assert not (tmp_path / "live.db").exists()
