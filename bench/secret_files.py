"""Benchmark: how fast a bad `${file:}` is refused, and what redacting printed output costs.

    python bench/secret_files.py

Prints, for `/dev/zero`, a FIFO nobody writes to and a 300 MB (sparse) file, the time
`resolve` takes to refuse each (each must be well under a second: the read is bounded and
never blocks); then the time `redact` takes over 4.6 MB of plan-like text with 1, 100 and
10,000 distinct secrets resolved (the CLI passes everything it prints through it).
"""

from __future__ import annotations

import os
import random
import string
import tempfile
import time
from pathlib import Path

from mailconf import secrets
from mailconf.errors import SecretError


def refusals(root: Path) -> None:
    fifo, big = root / "fifo", root / "big"
    os.mkfifo(fifo)
    with big.open("wb") as f:
        f.truncate(300 * 1024 * 1024)
    for label, path in (("/dev/zero", Path("/dev/zero")), ("FIFO", fifo), ("300 MB file", big)):
        start = time.perf_counter()
        try:
            secrets.resolve(f"${{file:{path}}}", root)
            outcome = "accepted (wrong!)"
        except SecretError as exc:
            outcome = str(exc).split(": ", 1)[1]
        print(f"{label:12} refused in {(time.perf_counter() - start) * 1000:7.2f} ms: {outcome}")


def redaction(root: Path) -> None:
    text = "~ account/acc123: password (changed), display_name: 'User 12345' -> 'User 1234'\n" * 56000
    rng = random.Random(1)
    resolved = 0
    for count in (1, 100, 10000):
        for i in range(resolved, count):
            os.environ["BENCH_SECRET"] = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))
            secrets.resolve("${env:BENCH_SECRET}", root)
        resolved = count
        secrets.redact("warm up: compile the pattern")
        start = time.perf_counter()
        secrets.redact(text)
        print(f"redact {len(text) / 1e6:.1f} MB with {count:>6} secrets: {time.perf_counter() - start:6.2f} s")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        refusals(Path(tmp))
        redaction(Path(tmp))
