"""Every diagnostic code mailconf can emit has a row in the README's rule table.

The codes are read from the code itself, not from a list kept by hand: rule modules' `ID`s,
the code passed to every diagnostic constructor (`Diagnostic`, `source.diagnostic`,
`source_diag`, `YamlProblem`), the SPF analysis findings that `validate --online` and
`spf check` report (`Finding`, `self.error`/`self.warning`), the diagnoses of `check`
(`CheckFailure`), and the codes SPF errors carry
(`default_code`, or the code given to an `Spf*Error`). A code passed as anything but a literal
must come from one of those (`rule.ID`, `problem.code`, `finding.code`, `error.code`), so a
new code cannot hide in a variable.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import mailconf
from mailconf.spf.errors import SpfError

ROOT = Path(mailconf.__file__).parent
README = ROOT.parent / "README.md"

# call name -> position of the code argument
CODE_ARGUMENT = {"Diagnostic": 0, "diagnostic": 0, "source_diag": 1, "YamlProblem": 0, "Finding": 0, "CheckFailure": 0}
# SPF analysis: `self.error(code, message, domain)` / `self.warning(...)`
FINDING_METHODS = {"error", "warning"}
# where a non-literal code comes from: each of these is itself collected here
DERIVED = {"ID", "code"}
CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _spf_error_classes() -> set[str]:
    found, todo = set(), [SpfError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _argument(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "code":
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _codes_in(tree: ast.AST, where: str, spf_errors: set[str]) -> Iterator[tuple[str, str]]:
    """(code, where) of every code in one module; ("", where) for a code the test cannot see."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and _name(node.targets[0]) in ("ID", "default_code"):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                yield node.value.value, f"{where}:{node.lineno}"
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name in CODE_ARGUMENT:
            argument = _argument(node, CODE_ARGUMENT[name])
        elif name in spf_errors:
            argument = _argument(node, 1)  # the message comes first; without a code, default_code applies
            if argument is None:
                continue
        elif name in FINDING_METHODS and isinstance(node.func, ast.Attribute) and node.args:
            argument = node.args[0]
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str) and CODE.match(argument.value)):
                if _name(argument) not in DERIVED:
                    continue  # some other object's error(): a logger, a parser
        else:
            continue
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            yield argument.value, f"{where}:{node.lineno}"
        elif argument is None or _name(argument) not in DERIVED:
            yield "", f"{where}:{node.lineno}"


def emitted_codes() -> dict[str, str]:
    """Every code the tool can emit -> one place that emits it."""
    spf_errors = _spf_error_classes()
    codes: dict[str, str] = {}
    hidden: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        where = str(path.relative_to(ROOT.parent))
        for code, place in _codes_in(ast.parse(path.read_text(encoding="utf-8")), where, spf_errors):
            if code:
                codes.setdefault(code, place)
            else:
                hidden.append(place)
    assert not hidden, f"diagnostic codes this test cannot read (pass a literal, or a rule's ID): {hidden}"
    return codes


def readme_codes() -> set[str]:
    """The codes in the first cell of each row of the README's rule table (| code | severity | what |)."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| code | severity | what |") :].split("\n\n")[0]
    return {code for row in table.splitlines()[2:] for code in re.findall(r"`([^`]+)`", row.split("|")[1])}


def test_the_code_scan_finds_every_kind_of_source() -> None:
    codes = emitted_codes()
    # one of each: a rule ID, source.diagnostic, Diagnostic, source_diag, YamlProblem, an SPF finding, an SPF error
    for code in ("whitespace", "secret-unresolved", "io", "version-mismatch", "yaml-limits", "spf-no-record", "spf-multiple-records", "spf-dns-error", "spf-online"):
        assert code in codes, code


def test_every_emitted_code_is_in_the_readme_table() -> None:
    missing = {code: place for code, place in emitted_codes().items() if code not in readme_codes()}
    assert not missing, f"add a row to the README's rule table for: {missing}"


def test_the_readme_table_names_no_code_the_tool_cannot_emit() -> None:
    assert readme_codes() <= emitted_codes().keys()
