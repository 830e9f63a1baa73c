"""Directory manifests: files merged, duplicates named in both places, diagnostics in the right file."""

from __future__ import annotations

from mailconf.validate import validate

ACCOUNT = "accounts:\n  {name}: {{address: {name}@acme.example, preset: gmail, password: '${{env:X}}'}}\n"


def test_resources_merge_across_files(write, found):
    root = write("version: 1\nprimary_sender: a\n", "m/main.yaml").parent
    write("version: 1\n" + ACCOUNT.format(name="a").replace("}\n", ", default_outgoing: true, default_incoming: true}\n"), "m/a.yaml")
    write("version: 1\n" + ACCOUNT.format(name="b"), "m/sub/b.yaml")
    write("version: 1\naccounts: {hidden: {}}\n", "m/.hidden/x.yaml")  # hidden entries are skipped
    result = validate([root])
    assert result.diagnostics == []
    assert sorted(result.results[0].manifest.accounts) == ["a", "b"]
    assert result.files == 3


def test_same_resource_twice_names_both_places(write):
    root = write("version: 1\n\n" + ACCOUNT.format(name="a"), "m/1.yaml").parent
    write("version: 1\n" + ACCOUNT.format(name="a"), "m/2.yaml")
    [dup] = [d for d in validate([root]).diagnostics if d.code == "duplicate-resource"]
    assert (dup.file, dup.line, dup.column) == (str(root / "2.yaml"), 3, 3)
    assert f"{root / '1.yaml'}:4:3" in dup.message


def test_singleton_twice_and_version_mismatch(write, found):
    root = write("version: 1\nprimary_sender: a\n", "m/1.yaml").parent
    write("version: 2\nprimary_sender: b\n", "m/2.yaml")
    diagnostics = {d.code: d for d in validate([root]).diagnostics}
    assert (diagnostics["duplicate-resource"].file, diagnostics["duplicate-resource"].line) == (str(root / "2.yaml"), 2)
    assert f"{root / '1.yaml'}:2:1" in diagnostics["duplicate-resource"].message
    assert (diagnostics["version-mismatch"].file, diagnostics["version-mismatch"].line) == (str(root / "2.yaml"), 1)


def test_section_that_is_not_a_mapping_is_reported_in_its_file_not_a_crash(write):
    # Bug: a second file with `accounts:` empty (null) or a list raised KeyError in the merge.
    root = write("version: 1\n" + ACCOUNT.format(name="a"), "m/1.yaml").parent
    write("version: 1\naccounts:\n", "m/2.yaml")
    write("version: 1\naccounts: [a]\n", "m/3.yaml")
    bad = [(d.code, d.file, d.line, d.column) for d in validate([root]).diagnostics if d.code == "schema"]
    assert bad == [("schema", str(root / "2.yaml"), 2, 10), ("schema", str(root / "3.yaml"), 2, 11)]


def test_section_diagnostic_points_at_the_file_declaring_the_section(write):
    # Bug: a diagnostic on a whole section (`accounts`, e.g. no primary_sender) went to the first
    # file of the directory, at line 1, even when that file has no such section.
    root = write("version: 1\ntargets: {t: {driver: sqlite}}\n", "m/0-main.yaml").parent
    write("version: 1\n\naccounts:\n  a: {address: a@x.example, preset: gmail, default_outgoing: true, default_incoming: true}\n", "m/accounts.yaml")
    [d] = validate([root]).diagnostics
    assert (d.code, d.file, d.line, d.column) == ("primary-sender", str(root / "accounts.yaml"), 3, 1)


def test_missing_path_and_empty_directory(tmp_path, found):
    (tmp_path / "empty").mkdir()
    assert found(tmp_path / "nope.yaml", tmp_path / "empty") == [("io", 1, 1), ("io", 1, 1)]
