"""The event-stream loader: same values as yaml.safe_load, located duplicates, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mailconf import yamlsource
from mailconf.yamlsource import Location, SourceMap, YamlProblem, load, read_text

SAME_AS_SAFE_LOAD = [
    "a: 1\nb: -2\nc: 0x1F\nd: 1_000\ne: 0777\nf: 010\ng: 0\nh: +5\ni: 0b101\nj: 190:20:30",  # bug: 0777 and 010 were read as decimal
    "a: 1.5\nb: .inf\nc: -.Inf\nd: 1e3\ne: 6.8523015e+5",
    "a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: ~\ng: null\nh:\ni: ''",
    "a: 2024-01-31\nb: '2024-01-31'\nc: !!str 5\nd: !!int '7'\ne: !!float 1\nf: \"x\\ty\"",
    "base: &b {host: h, port: 587}\nx:\n  <<: *b\n  port: 465\ny: {<<: [*b, {tls: true}], z: 1}",
    "list: [a, [b, {c: d}], {}]\nblock: |\n  line 1\n  line 2\nfolded: >-\n  a\n  b\n",
    "",
    "# only a comment\n",
    "--- [1, 2]\n...\n",
]


@pytest.mark.parametrize("text", SAME_AS_SAFE_LOAD)
def test_values_match_safe_load(text):
    loaded = load(text)
    assert loaded.value == yaml.safe_load(text)
    assert loaded.duplicates == []


@pytest.mark.parametrize(
    "text",
    [
        "accounts:\n  a:\n    address: x\n    address: y\n  b:\n    outgoing: {port: 1, port: 2}\n",  # inside entries
        "accounts:\n  a: {address: x}\n  a: {address: y}\n",  # an entry twice
        "accounts: {}\naccounts: {}\n",  # a section twice
        "accounts: {a: {x: 1, x: 2}, b: {y: 1}}\n",  # flow style: the entry cannot be walked alone
        "base: &b {x: 1}\naccounts:\n  a:\n    o: *b\n    k: 1\n    k: 2\n",  # an alias to outside the entry
        "top:\n  - {a: 1, a: 2}\n",  # under a list
        "accounts:\n  a:\n    deep:\n      - {k: 1, k: 2}\n    x: 1\n    x: 2\nspf:\n  d:\n    m: 1\n    m: 2\n",
    ],
)
def test_duplicates_found_fast_match_a_full_walk(text):
    assert load(text).duplicates == yamlsource._run(text, track=True).duplicates


def test_a_duplicate_inside_an_entry_re_walks_only_that_entry(monkeypatch):
    text = "version: 1\naccounts:\n" + "".join(f"  a{i}:\n    address: a{i}@x.example\n" for i in range(100)) + "  z:\n    address: 1\n    address: 2\n"
    walked = []
    real_run = yamlsource._run
    monkeypatch.setattr(yamlsource, "_run", lambda part, track: walked.append(part) or real_run(part, track))
    [dup] = load(text).duplicates
    assert (dup.path, dup.location, dup.first) == (("accounts", "z", "address"), Location(205, 5), Location(204, 5))
    assert walked == [text, "  z:\n    address: 1\n    address: 2\n"]  # the fast load, then the one entry


def test_duplicate_keys_located_both():
    loaded = load("a:\n  b: 1\n  c: 2\n  b: 3\nd: {x: 1, x: 2}\n")
    assert [(d.path, d.location, d.first) for d in loaded.duplicates] == [
        (("a", "b"), Location(4, 3), Location(2, 3)),
        (("d", "x"), Location(5, 11), Location(5, 5)),
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: !!python/object/apply:os.system [echo hi]\n", Location(1, 4)),
        ("a: !!python/name:os.system\n", Location(1, 4)),
        ("a:\n  b: !custom {x: 1}\n", Location(2, 6)),
        ("a: !!set {x, y}\n", Location(1, 4)),
        ("a: [1, !!binary aGk=]\n", Location(1, 8)),
    ],
)
def test_object_constructing_and_unknown_tags_refused(text, where):
    with pytest.raises(YamlProblem) as info:
        load(text)
    assert (info.value.code, info.value.location) == ("yaml-tag", where)


def test_alias_bomb_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10**9 values expanded
    with pytest.raises(YamlProblem) as info:
        load("\n".join(lines))
    assert info.value.code == "yaml-limits" and "alias" in info.value.message
    assert info.value.location.line <= 9


def test_aliases_within_the_limit_are_fine():
    assert load("a: &a [1, 2]\nb: [*a, *a]\n").value == {"a": [1, 2], "b": [[1, 2], [1, 2]]}


@pytest.mark.parametrize("flow", [True, False])
def test_nesting_limit(flow):
    def nested(depth: int) -> str:
        if flow:
            return "[" * depth + "]" * depth
        return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "leaf"

    load(nested(yamlsource.MAX_DEPTH))  # at the limit: fine
    with pytest.raises(YamlProblem) as info:
        load(nested(yamlsource.MAX_DEPTH + 1))
    assert info.value.code == "yaml-limits" and f"deeper than {yamlsource.MAX_DEPTH}" in info.value.message


def test_huge_file_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 200 + "\n")
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 100)
    with pytest.raises(YamlProblem) as info:
        read_text(path)
    assert info.value.code == "yaml-limits" and "204 bytes" in info.value.message and "split" in info.value.message


def test_non_utf8_reports_byte_offset_line_and_column(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nname: Chloé\n".encode("latin-1"))
    with pytest.raises(YamlProblem) as info:
        read_text(path)
    assert info.value.code == "encoding"
    assert "0xe9" in info.value.message and "byte offset 15" in info.value.message
    assert info.value.location == Location(2, 11)


def test_bom_accepted_and_locations_unchanged(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffa: 1\nb: é\n".encode())
    text = read_text(path)
    assert load(text).value == {"a": 1, "b": "é"}
    assert SourceMap(text).locate(("b",)) == Location(2, 4)


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ("a: [1, 2\n", "yaml-syntax", Location(2, 1)),
        ("a: 1\n---\nb: 2\n", "yaml-multi-document", Location(2, 1)),
        ("? [a, b]\n: 1\n", "yaml-key", Location(1, 3)),
        ("a: *nowhere\n", "yaml-syntax", None),
        ("a: {b: 1}\n<<: 1\n", "yaml-syntax", Location(2, 1)),
        ("a: <<\n", "yaml-syntax", Location(1, 4)),  # bug: a bare << value became a marker class in the manifest
        ("a: [x, <<]\n", "yaml-syntax", Location(1, 8)),
    ],
)
def test_malformed_documents(text, code, where):
    with pytest.raises(YamlProblem) as info:
        load(text)
    assert info.value.code == code
    if where is not None:
        assert info.value.location == where


def test_source_map_locates_values_keys_and_nearest_parent():
    text = "accounts:\n  a:\n    address: a@x.example\n    outgoing: {host: h, port: 587}\nlist:\n  - x\n  - {y: 1}\n"
    where = SourceMap(text)
    assert where.locate(("accounts", "a", "outgoing", "port")) == Location(4, 31)
    assert where.locate(("accounts", "a", "outgoing", "port"), key=True) == Location(4, 25)
    assert where.locate(("accounts", "a", "outgoing", "security")) == Location(4, 15)  # missing: its parent
    assert where.locate(("list", 1, "y")) == Location(7, 9)
    assert where.locate(("nowhere",)) == Location(1, 1)


# Shapes a manifest's text takes: block and flow entries, comments, block scalars, anchors
# and merge keys across entries, CRLF, CR and Unicode line breaks, no final newline, lists at the top.
SHAPES = [
    "version: 1\naccounts:\n  a:\n    address: a@x.example\n    outgoing: {host: h, port: 587}\n  # between\n  b:\n    incoming:\n      - x\n      - {y: 1}\nprojects:\n  p: {senders: {invoice: a}}\n",
    "accounts: {a: {address: a@x.example}, b: {port: 1}}\nlist: [1, {k: v}]\n",
    "accounts: {\n  a: {address: a@x.example},\n  b: {port: 1}\n}\n",
    "base: &b {host: h, port: 587}\naccounts:\n  a:\n    outgoing: *b\n  c:\n    outgoing:\n      <<: *b\n      port: 465\n",
    "accounts:\n  a:\n    signature: |\n      Kind regards\n\n      ACME\n\n  b:\n    signature: >-\n      folded\n      text\n",
    "accounts:\r\n  a:\r\n    address: a@x.example\r\n  b:\r\n    port: 1\r\n",
    "accounts:\r  a:\r    address: a@x.example\r  b:\r    port: 1\r",
    "accounts:\n  a:\n    address: a@x.example\n  b:\n    port: 1",
    "accounts:\x85  a:\u2028    address: a@x.example\u2029  b:\n    port: 1\n",  # NEL, LS, PS break lines too
    "accounts:\n  a:\n    x: 1\n  b: {y: 2}",
    "---\naccounts:\n  a:\n    x: 1\n  b:\n    y: [1,\n      2]\n  # trailing comment\n...\n",
    "accounts:\n  'quoted key':\n    x: 1\n  ? b\n  : y: 2\n  c: &c\n    z: 3\n  d: *c\n",
    "- a: {b: 1}\n- c:\n    d: 2\n",
    "accounts:\n  é€:\n    address: 'ü@x.example'   # ✓\n  b:\n    folder: 日本\n",
    "top:\n  - name: x\n    deep: {a: [1, 2]}\n  - name: y\nafter:\n  k:\n    v: 1\n",
]


def _paths(value, prefix=()):
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _paths(child, (*prefix, key))


@pytest.mark.parametrize("text", SHAPES)
def test_locations_from_the_fast_load_match_a_full_walk(text):
    # The fast load keeps marks of two levels and re-walks one entry's text at a time;
    # every path (and every key, and paths that do not exist) must land where a full walk says.
    loaded = load(text)
    fast, full = loaded.where, SourceMap(text)
    paths = [*_paths(loaded.value)]
    paths += [(*p, "missing") for p in paths]
    for path in paths:
        for key in (False, True):
            assert fast.locate(path, key) == full.locate(path, key), (path, key)


def test_an_entry_with_a_diagnostic_is_walked_alone_not_the_whole_file(monkeypatch):
    text = "version: 1\naccounts:\n" + "".join(f"  a{i}:\n    address: a{i}@x.example\n    outgoing: {{port: 587}}\n" for i in range(200))
    loaded = load(text)
    walked = []
    real_run = yamlsource._run
    monkeypatch.setattr(yamlsource, "_run", lambda part, track: walked.append(part) or real_run(part, track))
    where = loaded.where
    assert where.locate(("accounts", "a150", "outgoing", "port")) == Location(2 + 150 * 3 + 3, 22)
    assert where.locate(("accounts", "a150", "address"), key=True) == Location(2 + 150 * 3 + 2, 5)
    assert walked == ["  a150:\n    address: a150@x.example\n    outgoing: {port: 587}\n"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a:\n\tb: 1\n", Location(2, 1)),
        ("a:\n  b: 1\n\tc: 2\n", Location(3, 1)),
        ("a:\n \tb: 1\n", Location(2, 2)),
        ("\ta: 1\n", Location(1, 1)),
        ("a:\n  - x\n\t- y\n", Location(3, 1)),
    ],
)
def test_tab_indentation_is_named_as_such(text, where):
    with pytest.raises(YamlProblem) as info:
        load(text)
    assert (info.value.code, info.value.message, info.value.location) == ("yaml-syntax", "YAML does not allow tabs for indentation: use spaces", where)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2024-02-30", "reads as a date but is not one (day is out of range for month): quote it ('2024-02-30')"),
        ("2024-13-01", "reads as a date"),
        ("0x_", "reads as an integer but is not one: quote it ('0x_')"),
        ("!!int x", "'x' is not an integer"),
        ("!!int ''", "'' is not an integer"),
        ("!!float abc", "'abc' is not a number"),
        ("!!bool maybe", "'maybe' is not a boolean"),
        ("!!timestamp yesterday", "'yesterday' is not a date"),
    ],
)
def test_values_yaml_cannot_construct_are_located_problems(value, words):
    # Bug: each of these raised ValueError/KeyError/AttributeError/IndexError out of the loader.
    with pytest.raises(YamlProblem) as info:
        load(f"version: 1\nkey: {value}\n")
    assert (info.value.code, info.value.location) == ("yaml-value", Location(2, 6))
    assert words in info.value.message


def test_a_bare_equals_sign_is_refused_with_the_fix():
    with pytest.raises(YamlProblem) as info:
        load("a: =\n")
    assert info.value.location == Location(1, 4) and "quote it ('=')" in info.value.message


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc")
def test_read_is_bounded_where_the_size_says_zero(monkeypatch):
    # /proc files report st_size 0 and hold more: the bound must come from the read itself.
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 20)
    with pytest.raises(YamlProblem) as info:
        read_text(Path("/proc/self/status"))
    assert info.value.code == "yaml-limits" and "over 20 bytes" in info.value.message
