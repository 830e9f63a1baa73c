"""Did-you-mean suggestions at a bounded cost.

`difflib.get_close_matches` compares a word with every candidate (about 30 µs a pair), so a
manifest with a thousand misspelt names against a thousand candidates would spend half a minute
on hints. A `Suggester` shares one budget of comparisons across a whole rule run: past it, the
diagnostics still come, only without the hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Comparisons one suggester may make in all: well under a second.
BUDGET = 20_000


class Suggester:
    """The closest candidate to a word, while the shared budget lasts."""

    def __init__(self, candidates: Iterable[str], cutoff: float = 0.6, budget: int = BUDGET) -> None:
        self._candidates = list(candidates)
        self._cutoff = cutoff
        self._left = budget

    def __call__(self, word: str) -> str | None:
        if not self._candidates or len(self._candidates) > self._left:
            return None
        self._left -= len(self._candidates)
        close = difflib.get_close_matches(word, self._candidates, n=1, cutoff=self._cutoff)
        return close[0] if close else None
