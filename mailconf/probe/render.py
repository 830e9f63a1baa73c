"""`check` output: a table per account and phase (text), or the versioned JSON shape the README documents."""

from __future__ import annotations

import json

from mailconf.probe.outcome import AccountResult
from mailconf.terminal import Painter

#: The JSON shape's version; later versions only add fields.
VERSION = 1


def text(results: list[AccountResult], paint: Painter) -> str:
    lines: list[str] = []
    for result in results:
        verdict = paint("ok", "green") if result.ok else paint("FAILED", "red")
        lines.append(f"{result.name} <{result.address}>: {verdict} ({result.seconds:.2f} s)")
        for check in result.checks:
            lines.append(f"  {check.service} {check.where}")
            for phase in check.phases:
                mark = paint("ok  ", "green") if phase.ok else paint("FAIL", "red")
                detail = phase.detail if phase.ok else f"{phase.detail}  [{phase.code}]"
                lines.append(f"    {phase.name:<9} {mark} {phase.seconds * 1000:>7.0f} ms  {detail}".rstrip())
    failed = sum(not r.ok for r in results)
    lines.append(f"{len(results)} account(s) checked: {len(results) - failed} ok, {failed} failed.")
    return "\n".join(lines)


def as_json(results: list[AccountResult]) -> str:
    return json.dumps({
        "version": VERSION,
        "accounts": [
            {
                "name": r.name, "address": r.address, "ok": r.ok,
                "seconds": round(r.seconds, 3), "queued_seconds": round(r.queued, 3),
                "checks": [
                    {
                        "service": c.service, "where": c.where, "ok": c.ok,
                        "phases": [
                            {"phase": p.name, "ok": p.ok, "seconds": round(p.seconds, 3), "detail": p.detail, "code": p.code or None}
                            for p in c.phases
                        ],
                    }
                    for c in r.checks
                ],
            }
            for r in results
        ],
        "summary": {"accounts": len(results), "ok": sum(r.ok for r in results), "failed": sum(not r.ok for r in results)},
    }, indent=2)
