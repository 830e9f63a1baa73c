"""docs/drivers.md cannot drift from the code: every code block that names a file (`# file: PATH`
on its first line) is that whole file, or with `(excerpt)` a verbatim part of it; the example
driver it shows is the real module, which the end-to-end tests run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "drivers.md"
_BLOCK = re.compile(r"^```[a-z]*\n# file: (?P<path>\S+)(?P<excerpt> \(excerpt\))?\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, bool, str]]:
    return [(m["path"], bool(m["excerpt"]), m["body"]) for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_doc_quotes_the_example_driver_whole() -> None:
    assert ("providers/checklist.py", False, (ROOT / "providers" / "checklist.py").read_text(encoding="utf-8")) in _blocks()


@pytest.mark.parametrize("path, excerpt, body", _blocks(), ids=[path for path, _, _ in _blocks()])
def test_each_block_that_names_a_file_is_in_that_file(path: str, excerpt: bool, body: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    if excerpt:
        assert body in text, f"docs/drivers.md quotes {path} but the file no longer holds that text: update the doc"
    else:
        assert body == text, f"docs/drivers.md shows {path} whole, but the file changed: copy it into the doc again"


def test_every_named_block_is_checked() -> None:
    """A block that names its file in another spelling would escape the checks above."""
    text = DOC.read_text(encoding="utf-8")
    assert len(_blocks()) == len(re.findall(r"^```[a-z]*\n#\s*file:", text, re.MULTILINE | re.IGNORECASE)) >= 3
