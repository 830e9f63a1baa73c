"""Document types: a misspelt one is warned with a suggestion; a manifest declares its own in document_types."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

from conftest import CLEAN, marked


def _found(write, text: str, code: str | None = "document-type"):
    return [d for d in validate([write(text)]).diagnostics if code in (None, d.code)]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("invocie", "invoice"), ("invoices", "invoice"), ("trackng", "tracking"), ("delivery_notes", "delivery_note"), ("order_confirmaton", "order_confirmation")],
)
def test_misspelt_type_is_a_warning_with_the_suggestion(write, typo, meant):
    text, [spot] = marked(CLEAN + f"projects: {{shop: {{senders: {{tracking: office, ^{typo}: office}}}}}}\n")
    [diagnostic] = _found(write, text, None)
    assert (diagnostic.code, diagnostic.severity.value, diagnostic.line, diagnostic.column) == ("document-type", "warning", *spot)
    assert f"did you mean {meant!r}" in diagnostic.message and "document_types" in diagnostic.message


@pytest.mark.parametrize("own", ["customs_declaration", "packing_list", "x"])
def test_own_type_must_be_declared(write, own):
    project = f"projects: {{shop: {{senders: {{{own}: office}}}}}}\n"
    [diagnostic] = _found(write, CLEAN + project)
    assert "did you mean" not in diagnostic.message
    assert _found(write, CLEAN + f"document_types: [{own}]\n" + project) == []


def test_declared_types_are_suggested_too(write):
    [diagnostic] = _found(write, CLEAN + "document_types: [customs_declaration]\nprojects: {shop: {senders: {customs_declration: office}}}\n")
    assert "did you mean 'customs_declaration'" in diagnostic.message


def test_every_known_type_passes(write):
    from mailconf.model import DOCUMENT_TYPES

    senders = ", ".join(f"{t}: office" for t in DOCUMENT_TYPES)
    assert _found(write, CLEAN + f"projects: {{shop: {{senders: {{{senders}}}}}}}\n", None) == []


@pytest.mark.parametrize("bad", ["[Customs]", "[customs-declaration]", "customs_declaration", "[1]"])
def test_document_types_is_a_list_of_type_names(write, bad):
    assert {d.code for d in _found(write, CLEAN + f"document_types: {bad}\n", None)} == {"schema"}


def test_document_types_declared_in_two_files_is_a_duplicate(write, tmp_path):
    write(CLEAN + "document_types: [customs_declaration]\n", "m/a.yaml")
    write("document_types: [packing_list]\n", "m/b.yaml")
    assert [(d.code, d.line) for d in validate([tmp_path / "m"]).diagnostics] == [("duplicate-resource", 1)]
