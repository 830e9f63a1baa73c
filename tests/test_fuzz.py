"""Fuzzing the command line: whatever bytes a user, a merge or a disk hands it, mailconf answers
with a message and exit code 0 or 1 (2 for `plan --detailed-exitcode` with changes), never a traceback.

Inputs are real files mutated: the manifests in examples/, the state database of a real apply and
a plan saved by `plan --out`. Mutations are byte flips, truncation, inserted YAML special
characters and tags, and values swapped for ones of another type. The CLI runs in-process
(`mailconf.cli.main`) for speed; a few examples run through `python -m mailconf` as users do.

Hypothesis runs derandomized with a fixed number of examples, so the suite is repeatable; set
MAILCONF_FUZZ_EXAMPLES=500 to explore further with fresh random inputs (and shrunk failures).
A falsifying example replays with `mutate(original_bytes, edits)`.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mailconf.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SOURCES = sorted(EXAMPLES.rglob("*.yaml"))
QUICKSTART = EXAMPLES / "quickstart" / "mailconf.yaml"
PASSWORDS = {f"QS_{name}_PASSWORD": f"pw-{name.lower()}" for name in ("INVOICES", "SHIPPING", "SUPPORT", "ANNA")}

_EXPLORE = int(os.environ.get("MAILCONF_FUZZ_EXAMPLES", "0"))


def fuzz(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings: `examples` inputs, repeatable, unless MAILCONF_FUZZ_EXAMPLES asks for more.
    Shrinking only when exploring: the suite stays fast while a known failure is marked xfail."""
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if _EXPLORE else [])
    return settings(
        max_examples=_EXPLORE or examples, deadline=None, derandomize=not _EXPLORE, database=None, phases=phases,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Mutations ------------------------------------------------------------------------------------

#: What YAML gives meaning to, or a parser may choke on: tags, anchors, aliases, merge keys,
#: indicators, directives, document markers, BOM, NUL, tabs, odd line breaks, implicit types.
SPECIALS = [
    "!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!!binary AAAA", "!!set {a, b}",
    "!!timestamp 2026-01-01", "!!float", "!!int", "!!str", "!custom", "&a ", "*a", "*undefined", "<<: *a\n",
    "<<: [*a, *a]\n", "{", "}", "[", "]", ": ", "- ", "? ", "|", ">-", "%YAML 1.1\n", "%TAG ! tag:x:\n", "---\n",
    "...\n", "\t", "\x00", "\ufeff", "'", '"', "#", "@", "`", "~", "null", "yes", "on", "1e400", "0x1F", ".inf",
    "-.nan", "0o17", "2026-13-45", "\u2028", "\r", "\x85", "\\", "${env:", "${file:../../../etc/passwd}", "\n  ",
    "é", "\U0001F600", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
]

#: Values of every type, to put where a value of another type (or another meaning) was.
SWAPS: list[Any] = [
    None, True, 0, -1, 2**70, 1.5, float("inf"), "", "x" * 5000, "${env:MAILCONF_FUZZ_UNSET}", [], [1, "a", None],
    {}, {"a": {"b": [None]}}, "2026-01-01", "v=spf1 -all", "../../outside.db", "/dev/null",
    # plausible values in the wrong place, to get past the schema more often
    "invoices", "anna@acme.example", "smtp.acme.example", 465, "starttls", "pop3",
]


#: An edit, as data so that Hypothesis prints a falsifying example one can replay with `mutate`:
#: ("flip", at, mask), ("cut", at), ("insert", at, text) on bytes; ("swap", pick, value) on the parsed document.
Edit = tuple[Any, ...]


def mutate(data: bytes, edits: list[Edit], load: Callable[[bytes], Any] = yaml.safe_load) -> bytes:
    """`data` after `edits`; positions wrap around the current length, swaps re-serialise as `load` parsed."""
    for kind, at, *arg in edits:
        if kind == "flip" and data:
            at %= len(data)
            data = data[:at] + bytes([data[at] ^ arg[0]]) + data[at + 1 :]
        elif kind == "cut":
            data = data[: at % (len(data) + 1)]
        elif kind == "insert":
            at %= len(data) + 1
            data = data[:at] + arg[0].encode("utf-8", "surrogatepass") + data[at:]
        elif kind == "swap":
            data = _dump(_swap(load(data), at, arg[0]), load)
    return data


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def _swap(document: Any, pick: int, value: Any) -> Any:
    """`document` with its `pick`-th node (pre-order, modulo the count) replaced by `value`."""
    paths = list(_nodes(document))
    path = paths[pick % len(paths)]
    value = copy.deepcopy(value)  # a fresh copy each time, so no value ends up inside itself
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


def _dump(document: Any, load: Callable[[bytes], Any]) -> bytes:
    if load is json.loads:
        return json.dumps(document, indent=2).encode()
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()


def _edits(*kinds: st.SearchStrategy[Edit], max_size: int = 4) -> st.SearchStrategy[list[Edit]]:
    return st.lists(st.one_of(*kinds), min_size=1, max_size=max_size)


def _flip(within: int = 2**20) -> st.SearchStrategy[Edit]:
    return st.tuples(st.just("flip"), st.integers(0, within), st.integers(1, 255))


_CUT = st.tuples(st.just("cut"), st.integers(0, 2**20))
_INSERT = st.tuples(st.just("insert"), st.integers(0, 2**20), st.sampled_from(SPECIALS))
_SWAPS = _edits(st.tuples(st.just("swap"), st.integers(0, 10_000), st.sampled_from(SWAPS)), max_size=3)

YAML_BYTE_EDITS = _edits(_flip(), _CUT, _INSERT)
YAML_EDITS = st.one_of(YAML_BYTE_EDITS, _SWAPS)
JSON_EDITS = st.one_of(_edits(_flip(), _CUT), _SWAPS)
#: Half of them in the first pages (header, schema), where SQLite notices them.
STATE_EDITS = st.one_of(_edits(_flip(), _CUT), _edits(_flip(8191), max_size=6))


# Running the CLI ------------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str]:
    """`mailconf ARGV` in-process: exit code, and stdout + stderr. An exception escaping is a traceback."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


def assert_handled(code: int, output: str, allowed: tuple[int, ...] = (0, 1)) -> None:
    assert "Traceback" not in output, output
    assert "internal error" not in output, output  # the CLI's catch-all: a bug that escaped as an unexpected exception
    assert code in allowed, f"exit {code}:\n{output}"


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The quick start applied to its embedded target, then edited and planned into plan.json."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in PASSWORDS.items():
            env.setenv(name, value)
        root = tmp_path_factory.mktemp("applied")
        shutil.copy(QUICKSTART, root / "mailconf.yaml")
        with contextlib.chdir(root):
            assert run_cli("apply", "mailconf.yaml", "--auto-approve")[0] == 0
            manifest = root / "mailconf.yaml"
            manifest.write_text(manifest.read_text(encoding="utf-8").replace("ACME Shipping", "ACME Versand"), encoding="utf-8")
            assert run_cli("plan", "mailconf.yaml", "--out", "plan.json")[0] == 0
        yield root


@contextlib.contextmanager
def workspace(applied: Path) -> Iterator[Path]:
    """A private copy of the applied quick start, as the working directory, secrets in the environment."""
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as env:
        root = Path(tmp) / "ws"
        shutil.copytree(applied, root)
        for name, value in PASSWORDS.items():
            env.setenv(name, value)
        env.chdir(root)
        yield root


# The fuzz tests -------------------------------------------------------------------------------

LOADABLE = [p for p in SOURCES if "broken" not in p.parts]


@fuzz(60)
@given(source=st.sampled_from(SOURCES), edits=YAML_BYTE_EDITS, fmt=st.sampled_from(["text", "json", "github"]))
def test_validate_answers_any_mutated_manifest_without_traceback(
    source: Path, edits: list[Edit], fmt: str, tmp_path: Path
) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(mutate(source.read_bytes(), edits))
    assert_handled(*run_cli("validate", str(path), "--format", fmt))


@fuzz(40)
@given(source=st.sampled_from(LOADABLE), edits=_SWAPS)
def test_validate_answers_manifests_with_swapped_types_without_traceback(
    source: Path, edits: list[Edit], tmp_path: Path
) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(mutate(source.read_bytes(), edits))
    assert_handled(*run_cli("validate", str(path), "--check-secrets"))


PLAN = ("plan", "mailconf.yaml", "--detailed-exitcode")
APPLY = ("apply", "mailconf.yaml", "--auto-approve")


@fuzz(30)
@given(edits=YAML_EDITS, argv=st.sampled_from([PLAN, APPLY]))
def test_plan_and_apply_answer_a_mutated_manifest_without_traceback(
    applied: Path, edits: list[Edit], argv: tuple[str, ...]
) -> None:
    with workspace(applied) as root:
        manifest = root / "mailconf.yaml"
        manifest.write_bytes(mutate(manifest.read_bytes(), edits))
        assert_handled(*run_cli(*argv), allowed=(0, 1, 2) if argv == PLAN else (0, 1))




@fuzz(30)
@given(edits=STATE_EDITS, argv=st.sampled_from([PLAN, APPLY]))
def test_plan_and_apply_answer_a_corrupted_state_database_without_traceback(
    applied: Path, edits: list[Edit], argv: tuple[str, ...]
) -> None:
    with workspace(applied) as root:
        state = root / ".mailconf" / "state.db"
        state.write_bytes(mutate(state.read_bytes(), edits))
        assert_handled(*run_cli(*argv), allowed=(0, 1, 2) if argv == PLAN else (0, 1))


@fuzz(40)
@given(edits=JSON_EDITS)
def test_apply_answers_a_mutated_saved_plan_without_traceback(applied: Path, edits: list[Edit]) -> None:
    with workspace(applied) as root:
        plan = root / "plan.json"
        plan.write_bytes(mutate(plan.read_bytes(), edits, json.loads))
        assert_handled(*run_cli("apply", "plan.json", "--auto-approve"))


@fuzz(4)
@given(edits=YAML_EDITS)
def test_the_installed_command_answers_a_mutated_manifest_without_traceback(applied: Path, edits: list[Edit]) -> None:
    with workspace(applied) as root:
        manifest = root / "mailconf.yaml"
        manifest.write_bytes(mutate(manifest.read_bytes(), edits))
        for argv in (("validate", "mailconf.yaml"), PLAN):
            done = subprocess.run([sys.executable, "-m", "mailconf", *argv], capture_output=True, text=True, timeout=60)
            assert_handled(done.returncode, done.stdout + done.stderr, allowed=(0, 1, 2) if argv == PLAN else (0, 1))


# Reproducers of what the tests above found, one per class, so a fix is checked even where a fuzz run
# would not draw that input again.


@pytest.mark.parametrize("value", ["!!timestamp abc", '!!int ""', "!!int abc", "!!float x", "!!bool maybe"])
def test_an_explicit_tag_on_a_value_of_another_form_is_a_diagnostic(value: str, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f"version: {value}\n", encoding="utf-8")
    assert_handled(*run_cli("validate", str(path)), allowed=(1,))


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_a_path_too_long_for_the_file_system_is_an_error(command: str, tmp_path: Path) -> None:
    assert_handled(*run_cli(command, str(tmp_path / ("x" * 5000))), allowed=(1,))


def test_a_sqlite_path_too_long_for_the_file_system_is_an_error(applied: Path) -> None:
    with workspace(applied) as root:
        manifest = root / "mailconf.yaml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("path: live.db", "path: " + "x" * 5000), encoding="utf-8")
        assert_handled(*run_cli(*PLAN), allowed=(1,))


@pytest.mark.parametrize("sql", [
    "UPDATE fingerprints SET field = CAST(x'70617373776f72ff' AS TEXT)",  # text that is not UTF-8
    "ALTER TABLE meta RENAME COLUMN value TO v",
    "DROP TABLE managed; CREATE TABLE managed (x)",
], ids=["undecodable-text", "renamed-column", "other-table-shape"])
def test_a_damaged_state_database_is_a_state_error(applied: Path, sql: str) -> None:
    with workspace(applied) as root:
        db = sqlite3.connect(root / ".mailconf" / "state.db")
        db.executescript(sql)
        db.close()
        code, output = run_cli(*PLAN)
    assert_handled(code, output, allowed=(1,))
    assert "state" in output


_DROP = object()


@pytest.mark.parametrize(("path", "value"), [
    (("manifest",), None), (("manifest",), 1.5), (("manifest",), "x" * 5000), (("targets",), None),
    (("targets", 0), 1), (("targets", 0, "target"), [1]), (("secrets_fingerprint",), _DROP),
    (("targets", 0, "live_fingerprint"), _DROP),
], ids=["manifest-null", "manifest-number", "manifest-name-too-long", "targets-null", "target-not-object",
        "target-name-list", "no-secrets-fingerprint", "no-live-fingerprint"])
def test_a_saved_plan_of_another_shape_is_refused(applied: Path, path: tuple[Any, ...], value: Any) -> None:
    with workspace(applied) as root:
        plan = json.loads((root / "plan.json").read_text(encoding="utf-8"))
        parent = plan
        for step in path[:-1]:
            parent = parent[step]
        if value is _DROP:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        (root / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        assert_handled(*run_cli("apply", "plan.json", "--auto-approve"), allowed=(1,))
