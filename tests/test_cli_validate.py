"""`mailconf validate` end to end through `main(argv)`: exit codes, formats, usage errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from mailconf.cli import main

from conftest import CLEAN

WARNING = CLEAN + "  b: {address: b@acme.example, preset: gmail, username: bee}\n"
ERROR = CLEAN + "  b: {address: b@acme.example, preset: gmail, password: hunter2}\n"


@pytest.mark.parametrize(
    ("text", "flags", "code"),
    [
        (CLEAN, [], 0),
        (WARNING, [], 0),
        (WARNING, ["--strict"], 1),
        (ERROR, [], 1),
        (CLEAN, ["--strict"], 0),
    ],
)
def test_exit_codes(write, capsys, text, flags, code):
    assert main(["validate", *flags, str(write(text))]) == code
    assert capsys.readouterr().out.splitlines()[-1].endswith(" in 1 file")


def test_several_paths_and_one_bad_makes_it_fail(write, capsys):
    assert main(["validate", str(write(CLEAN, "a.yaml")), str(write(ERROR, "b.yaml"))]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "1 error, 0 warnings in 2 files"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["validate"], "the following arguments are required: PATH"),
        (["validate", "--format", "xml", "m.yaml"], "invalid choice: 'xml'"),
        (["validate", "--bogus", "m.yaml"], "unrecognized arguments: --bogus"),
        (["valdate", "m.yaml"], "invalid choice: 'valdate'"),
    ],
)
def test_usage_errors_exit_1_with_a_message(capsys, argv, needle):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_missing_file_is_a_diagnostic_not_a_traceback(tmp_path, capsys):
    assert main(["validate", "--format", "json", str(tmp_path / "nope.yaml")]) == 1
    [d] = json.loads(capsys.readouterr().out)["diagnostics"]
    assert (d["code"], d["line"], d["column"]) == ("io", 1, 1)


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_formats(write, capsys, fmt):
    path = write(ERROR)
    assert main(["validate", "--format", fmt, str(path)]) == 1
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["summary"] == {"errors": 1, "warnings": 0, "files": 1}
    else:
        assert out.startswith(f"::error file={str(path).replace(':', '%3A')},line=5,col=")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_text_colour_on_a_tty_unless_no_color(write, monkeypatch, no_color, coloured):
    monkeypatch.delenv("NO_COLOR", raising=False)
    if no_color:
        monkeypatch.setenv("NO_COLOR", no_color)
    out = _Tty()
    monkeypatch.setattr(sys, "stdout", out)
    main(["validate", str(write(ERROR))])
    assert ("\033[31m" in out.getvalue()) is coloured


def test_console_script_in_a_pipe(write):
    # The installed entry point, as CI runs it: no colour in a pipe, exit status passed through, no traceback.
    done = subprocess.run([sys.executable, "-m", "mailconf", "validate", str(write(ERROR))], capture_output=True, text=True, env={"PATH": ""})
    assert done.returncode == 1 and "\033[" not in done.stdout and "[literal-secret]" in done.stdout and done.stderr == ""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m mailconf ...` in a child process; the timeout only guards the suite against a hang."""
    return subprocess.run([sys.executable, "-m", "mailconf", *args], capture_output=True, text=True, timeout=60)


BAD_VALUES = ["2024-02-30", "0x_", "!!int x", "!!float abc", "!!bool maybe", "!!timestamp yesterday"]


def test_no_yaml_value_raises_through_the_cli(write):
    # Bug: values PyYAML resolves to dates or numbers and then fails on ended in a traceback.
    paths = [str(write(f"version: 1\nprimary_sender: {value}\n", f"v{i}.yaml")) for i, value in enumerate(BAD_VALUES)]
    done = _cli("validate", "--format", "json", *paths)
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    found = {(d["file"], d["code"], d["line"], d["column"]) for d in json.loads(done.stdout)["diagnostics"]}
    assert found == {(path, "yaml-value", 2, 17) for path in paths}


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_device_or_fifo_manifest_is_one_error_not_a_hang(tmp_path, kind):
    import os

    if kind == "fifo":
        path = tmp_path / "m.yaml"
        os.mkfifo(path)
    else:
        path = "/dev/zero"
    done = _cli("validate", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [diagnostic] = [line for line in done.stdout.splitlines() if "[io]" in line]
    assert f"not a regular file (a {'FIFO' if kind == 'fifo' else 'device'})" in diagnostic


@pytest.mark.parametrize("verb", ["validate", "plan"])
def test_a_nul_byte_in_the_path_is_an_error(capsys, verb):
    # No child process can be given a NUL in argv, so this goes through main() directly.
    assert main([verb, "m\0.yaml"]) == 1
    captured = capsys.readouterr()
    assert "NUL byte" in captured.out + captured.err and "Traceback" not in captured.err
