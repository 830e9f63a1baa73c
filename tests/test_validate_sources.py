"""Directory manifests: files merged, duplicates named in both places, diagnostics in the right file."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

ACCOUNT = "accounts:\n  {name}: {{address: {name}@acme.example, preset: gmail, password: '${{env:X}}'}}\n"


def test_resources_merge_across_files(write, found):
    root = write("version: 1\nprimary_sender: a\n", "m/main.yaml").parent
    write("version: 1\n" + ACCOUNT.format(name="a").replace("}\n", ", default_outgoing: true, default_incoming: true}\n"), "m/a.yaml")
    write("version: 1\n" + ACCOUNT.format(name="b"), "m/b.yml")
    write("version: 1\naccounts: {hidden: {}}\n", "m/.hidden.yaml")  # hidden entries are skipped
    result = validate([root])
    assert result.diagnostics == []
    assert sorted(result.results[0].manifest.accounts) == ["a", "b"]
    assert result.files == 3


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deploy/docker-compose.yml", "version: '3.8'\nservices:\n  web: {image: nginx}\n"),
        (".github/workflows/ci.yml", "on: push\njobs: {}\n"),
        ("notes/broken.yaml", "a: [1,\n"),
    ],
)
def test_subdirectories_of_a_manifest_are_not_read(write, clean, name, text):
    root = write(clean, "m/main.yaml").parent
    write("version: 1\n" + ACCOUNT.format(name="a"), "m/a.yaml")
    write(text, f"m/{name}")
    result = validate([root])
    assert result.diagnostics == [] and result.files == 2 and len(result.results) == 1


@pytest.mark.parametrize("name", ["old/accounts.yaml", "accounts/more.yml", "a/b/deep.yaml"])
def test_a_manifest_file_in_a_subdirectory_is_an_error_not_silently_left_out(write, clean, name):
    # Left out silently, what it declares would be deleted by the next apply.
    root = write(clean, "m/main.yaml").parent
    moved = write("accounts:\n" + ACCOUNT.format(name="b").split("accounts:\n", 1)[-1], f"m/{name}")
    result = validate([root])
    assert [(d.code, d.file) for d in result.diagnostics] == [("manifest-subdirectory", str(moved))]


def test_a_collection_validates_each_manifest_on_its_own(write, clean):
    # The same account name in two customers is no duplicate: they are never merged.
    customers = write(clean, "customers/bakery/mail.yaml").parent.parent
    write("version: 1\n" + ACCOUNT.format(name="office"), "customers/bakery/more.yaml")
    write(clean, "customers/garage/accounts.yaml")
    write(clean + "  b: {address: b@acme.example, preset: gmail, password: hunter2}\n", "customers/kiosk/m.yaml")
    write("version: '3'\n", "customers/.cache/x.yaml")  # hidden: not a customer
    result = validate([customers])
    assert [r.source.root.name for r in result.results] == ["bakery", "garage", "kiosk"]
    assert [sorted({d.code for d in r.diagnostics}) for r in result.results] == [["duplicate-resource"], [], ["literal-secret"]]
    assert result.files == 4


def test_a_directory_with_yaml_of_its_own_is_a_manifest_not_a_collection(write, clean, found):
    root = write(clean, "m/main.yaml").parent
    write("version: 1\naccounts: {x: 1}\n", "m/customer/m.yaml")
    # not validated as a manifest of its own (its `x: 1` would be a schema error), but not left out silently either
    assert found(root) == [("manifest-subdirectory", 1, 1)]


def test_plan_or_apply_on_a_collection_is_a_usage_error(write, clean, capsys):
    from mailconf.cli import main

    customers = write(clean, "customers/bakery/m.yaml").parent.parent
    write(clean, "customers/garage/m.yaml")
    for verb in (["plan"], ["apply", "--auto-approve"]):
        assert main([*verb, str(customers)]) == 1
        err = capsys.readouterr().err
        assert f"{customers} holds 2 manifests (bakery, garage): plan or apply one of them" in err and "Traceback" not in err


def test_the_consultant_example_is_a_collection():
    from pathlib import Path

    customers = Path(__file__).resolve().parent.parent / "examples" / "consultant" / "customers"
    result = validate([customers])
    assert [r.source.root.name for r in result.results] == ["bakery", "garage"] and result.diagnostics == []


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


def test_missing_path_and_directories_without_a_manifest(tmp_path, write, found):
    (tmp_path / "empty").mkdir()
    write("version: 1\n", "deep/a/b/m.yaml")  # a collection is one level: deeper directories are not searched
    assert found(tmp_path / "nope.yaml", tmp_path / "empty", tmp_path / "deep") == [("io", 1, 1)] * 3


def test_an_unreadable_directory_is_a_diagnostic(tmp_path, monkeypatch, found):
    from pathlib import Path

    (tmp_path / "m").mkdir()
    real = Path.iterdir

    def iterdir(self):
        if self.name == "m":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    [d] = validate([tmp_path / "m"]).diagnostics
    assert (d.code, d.message) == ("io", "cannot read directory: Permission denied")
