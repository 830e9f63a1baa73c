"""Safe YAML loading with locations, limits and duplicate-key detection.

PyYAML's loaders keep the last of two duplicate keys, recurse in C (a deeply nested
document crashes the interpreter) and expand aliases without bound. This module walks
libyaml's event stream itself: one pass builds plain Python values (dict, list, str,
int, float, bool, None) and refuses what a manifest never needs. Locations are not
kept on that fast path; `SourceMap` re-walks a file only when a diagnostic needs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _PyParser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _PyParser.__init__(self)


MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_EXPANDED_NODES = 5_000_000

Path_ = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _MERGE, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}
_IMPLICIT = Resolver.yaml_implicit_resolvers
_CONSTRUCTOR = SafeConstructor()


@dataclass(frozen=True)
class Location:
    """A 1-based line and column in a file."""

    line: int
    column: int


class YamlProblem(Exception):
    """A file cannot be loaded; carries the location of the offending text."""

    def __init__(self, code: str, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.location = location


@dataclass(frozen=True)
class DuplicateKey:
    """A key that appears twice in one mapping: the second occurrence and the first."""

    path: Path_
    location: Location
    first: Location


@dataclass
class Loaded:
    """The value of one YAML file plus the duplicate keys found while loading it."""

    value: Any
    duplicates: list[DuplicateKey]


def read_text(path: Path) -> str:
    """Read a manifest file as UTF-8 (a BOM is accepted), refusing huge or non-UTF-8 files."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise YamlProblem("yaml-limits", f"file is {size} bytes; the limit is {MAX_BYTES} bytes: split it into several files")
        data = path.read_bytes()
    except OSError as exc:
        raise YamlProblem("io", f"cannot read file: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblem(
            "encoding",
            f"not UTF-8: invalid byte 0x{data[exc.start]:02x} at byte offset {exc.start}; save the file as UTF-8",
            Location(line, column),
        ) from None


def _loc(mark: Any) -> Location:
    return Location(mark.line + 1, mark.column + 1)


def _scalar(event: ev.ScalarEvent) -> Any:
    """Resolve and construct a scalar exactly as YAML 1.1 / SafeLoader would."""
    value = event.value
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:
            return value
        tag = _STR
        for candidate, regexp in _IMPLICIT.get(value[:1] if value else "", ()):
            if regexp.match(value):
                tag = candidate
                break
    elif tag not in _SCALAR_TAGS:
        raise YamlProblem("yaml-tag", f"tag {tag} is not allowed: manifests hold plain data only", _loc(event.start_mark))
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _INT and value.isdigit() and (value[0] != "0" or len(value) == 1):  # YAML 1.1: 0777 is octal
        return int(value)
    node = yaml.ScalarNode(tag, value)
    constructors = _CONSTRUCTOR.yaml_constructors
    return constructors[tag](_CONSTRUCTOR, node) if tag != _MERGE else _MergeKey


class _MergeKey:
    """Marker for the YAML merge key `<<`."""


class _Builder:
    """Turns an event stream into Python values; optionally records where each path starts."""

    def __init__(self, parser: Any, track: bool) -> None:
        self.parser = parser
        self.track = track
        self.value_marks: dict[Path_, Location] = {}
        self.key_marks: dict[Path_, Location] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.duplicates: list[DuplicateKey] = []
        self.expanded = 0

    def next(self) -> Any:
        return self.parser.get_event()

    def document(self) -> Any:
        event = self.next()
        if not isinstance(event, ev.StreamStartEvent):
            raise YamlProblem("yaml-syntax", "not a YAML stream")
        event = self.next()
        if isinstance(event, ev.StreamEndEvent):
            return None
        value = self.node(self.next(), (), 0)
        end = self.next()  # DocumentEndEvent
        following = self.next()
        if not isinstance(following, ev.StreamEndEvent):
            raise YamlProblem("yaml-multi-document", "a manifest file holds one YAML document: move the next one into its own file", _loc(following.start_mark))
        del end
        return value

    def node(self, event: Any, path: Path_, depth: int) -> Any:
        """Build the value that starts with `event`; returns it and counts expanded nodes."""
        if self.track:
            self.value_marks[path] = _loc(event.start_mark)
        if isinstance(event, ev.ScalarEvent):
            self.expanded += 1
            value = _scalar(event)
            if value is _MergeKey:  # SafeLoader refuses it too; never hand a marker class to the model
                raise YamlProblem("yaml-syntax", "<< is the merge key, not a value: quote it ('<<') to mean the text", _loc(event.start_mark))
            size = 1
        elif isinstance(event, ev.AliasEvent):
            try:
                value, size = self.anchors[event.anchor]
            except KeyError:
                raise YamlProblem("yaml-syntax", f"unknown alias *{event.anchor}", _loc(event.start_mark)) from None
            self.expanded += size
            if self.expanded > MAX_EXPANDED_NODES:
                raise YamlProblem("yaml-limits", f"aliases expand to more than {MAX_EXPANDED_NODES} values (an alias bomb?)", _loc(event.start_mark))
            return value
        else:
            if depth >= MAX_DEPTH:
                raise YamlProblem("yaml-limits", f"nesting deeper than {MAX_DEPTH} levels", _loc(event.start_mark))
            if event.tag is not None and event.tag not in ("!", _MAP, _SEQ):
                raise YamlProblem("yaml-tag", f"tag {event.tag} is not allowed: manifests hold plain data only", _loc(event.start_mark))
            start = self.expanded
            if isinstance(event, ev.MappingStartEvent):
                value = self.mapping(path, depth + 1)
            else:
                value = self.sequence(path, depth + 1)
            size = self.expanded - start + 1
            self.expanded += 1
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, size)
        return value

    def sequence(self, path: Path_, depth: int) -> list[Any]:
        items: list[Any] = []
        event = self.next()
        while not isinstance(event, ev.SequenceEndEvent):
            items.append(self.node(event, (*path, len(items)) if self.track else path, depth))
            event = self.next()
        return items

    def mapping(self, path: Path_, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        key_marks: dict[Any, Any] = {}  # raw marks: converted only for a duplicate
        merged: list[dict[Any, Any]] = []
        event = self.next()
        while not isinstance(event, ev.MappingEndEvent):
            key_mark = event.start_mark
            if not isinstance(event, ev.ScalarEvent):
                raise YamlProblem("yaml-key", "mapping keys must be plain scalars", _loc(key_mark))
            key = _scalar(event)
            if isinstance(key, list | dict):  # pragma: no cover - scalars never construct to these
                raise YamlProblem("yaml-key", "mapping keys must be plain scalars", _loc(key_mark))
            child = (*path, key) if self.track else path
            if self.track and key is not _MergeKey:
                self.key_marks[child] = _loc(key_mark)
            value = self.node(self.next(), child, depth)
            if key is _MergeKey:
                merged.extend(self._merge_sources(value, key_mark))
                event = self.next()
                continue
            if key in key_marks:
                self.duplicates.append(DuplicateKey((*path, key), _loc(key_mark), _loc(key_marks[key])))
            else:
                key_marks[key] = key_mark
            result[key] = value
            event = self.next()
        for source in merged:
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    @staticmethod
    def _merge_sources(value: Any, mark: Any) -> list[dict[Any, Any]]:
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(s, dict) for s in sources):
            raise YamlProblem("yaml-syntax", "the merge key << takes a mapping or a list of mappings", _loc(mark))
        return sources


def _run(text: str, track: bool) -> _Builder:
    builder = _Builder(_Parser(text), track)
    try:
        builder.value = builder.document()  # type: ignore[attr-defined]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        raise YamlProblem("yaml-syntax", f"YAML syntax: {problem}", _loc(mark) if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("yaml-syntax", f"YAML: {exc}") from None
    return builder


def load(text: str) -> Loaded:
    """Parse one YAML document into plain values, without locations (the fast path)."""
    builder = _run(text, track=False)
    if builder.duplicates:  # locations of duplicates need the tracked walk
        builder = _run(text, track=True)
    return Loaded(builder.value, builder.duplicates)  # type: ignore[attr-defined]


class SourceMap:
    """Where each path of a file's value starts; built on first use, only for files with diagnostics."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._builder: _Builder | None = None

    def _marks(self) -> _Builder:
        if self._builder is None:
            self._builder = _run(self._text, track=True)
        return self._builder

    def locate(self, path: Path_, key: bool = False) -> Location:
        """The location of the value at `path` (or of its key), else of its nearest existing parent."""
        builder = self._marks()
        marks = builder.key_marks if key else builder.value_marks
        probe = path
        while probe:
            found = marks.get(probe) or builder.value_marks.get(probe)
            if found:
                return found
            probe = probe[:-1]
        return builder.value_marks.get((), Location(1, 1))
