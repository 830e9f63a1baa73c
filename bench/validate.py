"""Validation speed against the YAML floor, peak memory, and CLI cold start.

Generates a large manifest (10,000 accounts, 2,000 projects, 5,000 employees, 1,000 SPF
domains) three ways and prints, for each, best of 3 runs: the time of a bare
`yaml.load(text, Loader=yaml.CSafeLoader)` of the same files (the floor), the time of a
full in-process `mailconf.validate.validate([path])`, and their ratio (target <= 1.3):

- one file, clean;
- a directory of 40 files, clean;
- the same directory with about 2% of the entries broken, so every file carries
  diagnostics (literal passwords, usernames that differ, ports that do not fit their
  security, `ptr`): the path where each diagnostic needs its file:line:column. References
  to no account are left out on purpose: their did-you-mean compares the name with every
  account's (difflib, about 60 ms each at 10,000 accounts), a cost of that rule, not of
  locating diagnostics.

Then peak RSS of this process, and the cold start of the installed `mailconf --version`
beside `python -c pass` (best of 10 runs each; target: within 0.08 s).

Run: python bench/validate.py
"""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from mailconf.presets import get_preset

ACCOUNTS, PROJECTS, EMPLOYEES, SPF_DOMAINS = 10_000, 2_000, 5_000, 1_000
PRESETS = ("microsoft365", "gmail", "fastmail", "ionos", "mailbox-org")  # all with an SPF include
DOC_TYPES = ("invoice", "order_confirmation", "delivery_note", "tracking", "reminder", "quote")


FILES = 40
BROKEN_EVERY = 50  # one entry in 50 broken: about 2%


def _account(i: int, rng: random.Random, broken: bool) -> str:
    name = f"acct{i:05d}"
    # a flawed account gets, in turn: a literal password, a username that differs, a port that does not fit
    flaw = (i // BROKEN_EVERY) % 3 if broken and i % BROKEN_EVERY == 7 else None
    if flaw == 2 and i % 3 == 0:  # a preset account has no port to spoil
        flaw = 0
    head = (
        f"  {name}:\n"
        f"    address: {name}@customer{i % SPF_DOMAINS}.example\n"
        f"    display_name: Mailbox {i}\n"
        + (f"    password: hunter{i}\n" if flaw == 0 else f'    password: "${{env:PW_{i}}}"\n')
        + (f"    username: user{i}\n" if flaw == 1 else "")
    )
    if i == 1:  # the primary sender, and the defaults ERPNext-like targets need
        head += "    default_outgoing: true\n    default_incoming: true\n"
    if i % 3 == 0:  # a third use a preset and only override the folder
        return head + f"    preset: {PRESETS[i % len(PRESETS)]}\n    incoming: {{folder: Archive}}\n"
    secure = rng.random() < 0.5
    return head + (
        f"    reply_to: office@customer{i % SPF_DOMAINS}.example\n"
        "    outgoing:\n"
        f"      host: smtp{i % 50}.mailhost.example\n"
        f"      port: {(587 if secure else 465) if flaw == 2 else (465 if secure else 587)}\n"
        f"      security: {'tls' if secure else 'starttls'}\n"
        "      auth: true\n"
        "    incoming:\n"
        f"      protocol: {'imap' if i % 5 else 'pop3'}\n"
        f"      host: mail{i % 50}.mailhost.example\n"
        f"      port: {(993 if i % 5 else 995) if secure else (143 if i % 5 else 110)}\n"
        f"      security: {'tls' if secure else 'starttls'}\n"
        f"    notify_if_unreplied: {{minutes: {60 + i % 240}, recipient: lead{i % 100}@customer{i % SPF_DOMAINS}.example}}\n"
    )


def sections(seed: int = 1, broken: bool = False) -> dict[str, list[str]]:
    """The entries of each resource section, as YAML text; `broken` spoils about 2% of them."""
    rng = random.Random(seed)
    accounts = [_account(i, rng, broken) for i in range(ACCOUNTS)]
    projects = []
    for p in range(PROJECTS):
        docs = rng.sample(DOC_TYPES, 3)
        # senders must be able to send: accounts with an index not divisible by 3 have an outgoing block, so do presets
        projects.append(f"  project{p:04d}:\n    senders:\n" + "".join(f"      {d}: acct{rng.randrange(ACCOUNTS):05d}\n" for d in docs))
    # employee e owns mailbox acct(e*2): each personal mailbox belongs to one employee
    employees = [f"  E{e:05d}: {{name: Employee {e}, mailbox: acct{e * 2:05d}}}\n" for e in range(EMPLOYEES)]
    spf = []
    for d in range(SPF_DOMAINS):  # the preset accounts of domain d all use PRESETS[d % 5]: authorise that service
        include = get_preset(PRESETS[d % len(PRESETS)]).spf_include
        ptr = ", ptr" if broken and d % BROKEN_EVERY == 3 else ""
        spf.append(
            f"  customer{d}.example:\n    mechanisms: [{include}, ip4:192.0.2.{d % 250}, 'a:smtp{d % 50}.mailhost.example'{ptr}]\n"
            f"    all: {'softfail' if d % 2 else 'fail'}\n"
        )
    return {"accounts": accounts, "projects": projects, "employees": employees, "spf": spf}


HEADER = "version: 1\nprimary_sender: acct00001\ntargets:\n  live: {driver: sqlite, settings: {path: bench.db}}\n"


def manifest(seed: int = 1) -> str:
    """The whole manifest as one file."""
    body = "".join(f"{name}:\n" + "".join(entries) for name, entries in sections(seed).items())
    return "# generated by bench/validate.py\n" + HEADER + body


def directory(root: Path, broken: bool, seed: int = 1) -> list[str]:
    """The manifest split over FILES files of `root` (each a slice of every section); returns their texts."""
    root.mkdir()
    texts = []
    parts = sections(seed, broken)
    for n in range(FILES):
        text = HEADER if n == 0 else "version: 1\n"
        for name, entries in parts.items():
            share = entries[n * len(entries) // FILES : (n + 1) * len(entries) // FILES]
            text += f"{name}:\n" + "".join(share)
        (root / f"part{n:02d}.yaml").write_text(text, encoding="utf-8")
        texts.append(text)
    return texts


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best(fn, runs: int) -> float:
    return min(timed(fn) for _ in range(runs))


def compare(path: Path, texts: list[str]) -> tuple[float, float, int]:
    """Best of 3 of the CSafeLoader floor over `texts` and of validating `path`, interleaved so
    both see the same machine load; and the number of diagnostics."""
    from mailconf.validate import validate

    diagnostics = len(validate([path]).diagnostics)
    floors, fulls = [], []
    for _ in range(3):
        floors.append(timed(lambda: [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts]))
        fulls.append(timed(lambda: validate([path])))
    return min(floors), min(fulls), diagnostics


def main() -> int:
    text = manifest()
    print(f"manifest: {len(text) / 1e6:.1f} MB, {ACCOUNTS} accounts, {PROJECTS} projects, {EMPLOYEES} employees, {SPF_DOMAINS} SPF domains")
    print(f"{'case':34} {'floor':>8} {'validate':>9} {'ratio':>6} {'diagnostics':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "big.yaml"
        one.write_text(text, encoding="utf-8")
        cases = [
            ("one file, clean", one, [text]),
            (f"{FILES} files, clean", Path(tmp) / "clean", directory(Path(tmp) / "clean", broken=False)),
            (f"{FILES} files, 2% broken", Path(tmp) / "broken", directory(Path(tmp) / "broken", broken=True)),
        ]
        for label, path, texts in cases:
            floor, full, diagnostics = compare(path, texts)
            print(f"{label:34} {floor:7.3f}s {full:8.3f}s {full / floor:6.2f} {diagnostics:12d}")
    print("target: ratio <= 1.3 in every case (the clean cases expect 0 diagnostics)")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    exe = shutil.which("mailconf")
    cli = best(lambda: subprocess.run([exe, "--version"], check=True, capture_output=True), 10) if exe else float("nan")
    bare = best(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True), 10)
    print(f"peak RSS:                       {peak_kib / 1024:.0f} MiB")
    print(f"mailconf --version:             {cli:.3f} s" + ("" if exe else "  (console script not installed)"))
    print(f"python -c pass:                 {bare:.3f} s")
    print(f"cold-start overhead:            {cli - bare:.3f} s  (target <= 0.08)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
