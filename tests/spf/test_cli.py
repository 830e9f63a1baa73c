"""`mailconf spf eval` and `mailconf spf check`: output shapes, exit codes, start-up imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mailconf.spf.cli import run


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = run([*argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_eval_json(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    code, data = run_json(capsys, ["spf", "eval", "--ip", "192.0.2.1", "--sender", "bob@inc.spf.test", "--nameserver", nameserver])
    assert code == 0
    assert data == {"version": 1, "result": "pass", "explanation": None, "mechanism": "include:prov-pass.spf.test",
                    "dns_lookups": 1, "void_lookups": 0}


def test_eval_json_with_explanation(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    code, data = run_json(capsys, ["spf", "eval", "--ip", "192.0.2.9", "--sender", "joe@exp.spf.test",
                                   "--helo", "mail.example", "--nameserver", nameserver])
    assert (code, data["result"], data["mechanism"]) == (0, "fail", "-all")
    assert data["explanation"] == "192.0.2.9 may not send for exp.spf.test as joe: see https://spf.test/joe?ip=192.0.2.9"


def test_eval_null_sender_checks_the_helo_name(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    code, data = run_json(capsys, ["spf", "eval", "--ip", "192.0.2.127", "--sender", "", "--helo", "ip.spf.test",
                                   "--nameserver", nameserver])
    assert (code, data["result"]) == (0, "pass")


def test_eval_timeout_is_temperror_and_exit_0(capsys: pytest.CaptureFixture[str], silent_nameserver: str) -> None:
    code, data = run_json(capsys, ["spf", "eval", "--ip", "192.0.2.1", "--sender", "a@example.com",
                                   "--nameserver", silent_nameserver, "--timeout", "0.3"])
    assert (code, data["result"], data["dns_lookups"]) == (0, "temperror", 0)


def test_eval_permerror_is_exit_0(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    code, data = run_json(capsys, ["spf", "eval", "--ip", "192.0.2.9", "--sender", "a@over-limit.spf.test",
                                   "--nameserver", nameserver])
    assert (code, data["result"], data["dns_lookups"]) == (0, "permerror", 11)


def test_eval_text(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    assert run(["spf", "eval", "--ip", "192.0.2.1", "--sender", "a@inc-none.spf.test", "--nameserver", nameserver]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "permerror for 192.0.2.1 sending as a@inc-none.spf.test",
        "  reason: include:no-spf.spf.test: no-spf.spf.test has no SPF record",
        "  DNS look-ups: 1/10, void look-ups: 0/2",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["spf", "eval", "--sender", "a@b.example"], "required: --ip"),
        (["spf", "eval", "--ip", "192.0.2", "--sender", "a@b.example"], "not an IP address"),
        (["spf", "eval", "--ip", "192.0.2.1", "--sender", ""], "give --helo"),
        (["spf", "eval", "--ip", "192.0.2.1", "--sender", "a@b.example", "--timeout", "0"], "positive number"),
        (["spf", "eval", "--ip", "192.0.2.1", "--sender", "a@b.example", "--nameserver", "[::1"], "bad nameserver"),
        (["spf", "check", "a.example", "--format", "xml"], "invalid choice"),
        (["spf", "check"], "DOMAIN"),
        (["spf"], "COMMAND"),
    ],
)
def test_usage_errors_exit_1(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert run(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("mailconf: error: ") and message in captured.err
    assert "Traceback" not in captured.err


def test_check_json(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    code, data = run_json(capsys, ["spf", "check", "clean.spf.test", "warn.spf.test", "--nameserver", nameserver])
    assert code == 0
    assert data["version"] == 1 and [d["domain"] for d in data["domains"]] == ["clean.spf.test", "warn.spf.test"]
    clean = data["domains"][0]
    assert (clean["valid"], clean["dns_lookups"], clean["void_lookups"], clean["errors"]) == (True, 2, 1, [])
    assert clean["tree"]["children"][0]["via"] == "include:prov-pass.spf.test"
    assert [w["code"] for w in data["domains"][1]["warnings"]] == ["spf-ptr", "spf-neutral-all"]


def test_check_exit_1_when_a_domain_has_errors(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    code, data = run_json(capsys, ["spf", "check", "clean.spf.test", "inc-loop.spf.test", "--nameserver", nameserver])
    assert code == 1 and [d["valid"] for d in data["domains"]] == [True, False]


def test_check_text(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    assert run(["spf", "check", "inc-none.spf.test", "--nameserver", nameserver]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "inc-none.spf.test: INVALID, 1/10 DNS look-ups, 0/2 void",
        "  inc-none.spf.test [1]: v=spf1 include:no-spf.spf.test -all",
        "    include:no-spf.spf.test -> no-spf.spf.test [0]: (no SPF record)",
        "  error spf-no-record [no-spf.spf.test]: include:no-spf.spf.test: no-spf.spf.test publishes no SPF record "
        "(permerror)",
    ]


def test_the_command_module_loads_no_dns_code() -> None:
    code = "import sys, mailconf.spf.cli; print(sorted(m for m in sys.modules if m.startswith(('dns', 'mailconf'))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['mailconf', 'mailconf.spf', 'mailconf.spf.cli']"
