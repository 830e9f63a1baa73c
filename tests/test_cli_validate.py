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
