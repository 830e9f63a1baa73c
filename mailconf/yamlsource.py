"""Safe YAML loading with locations, limits and duplicate-key detection.

PyYAML's loaders keep the last of two duplicate keys, recurse in C (a deeply nested
document crashes the interpreter) and expand aliases without bound. This module walks
libyaml's event stream itself: one pass builds plain Python values (dict, list, str,
int, float, bool, None) and refuses what a manifest never needs. That fast path keeps
only where the top two levels start (sections and resource entries: one offset per
resource); `SourceMap` re-walks just the entries a diagnostic points into, so a file with
a few broken resources is not parsed twice.
"""

from __future__ import annotations

import bisect
import os
import re
import stat
from dataclasses import dataclass, field
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
# Paths this short get their marks on the fast path: the root, its sections, and their entries.
COARSE_DEPTH = 2

Path_ = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_VALUE = "tag:yaml.org,2002:value"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _MERGE, _TIMESTAMP}
_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # YAML 1.1 line breaks, as libyaml counts lines
_IMPLICIT = Resolver.yaml_implicit_resolvers
_CONSTRUCTOR = SafeConstructor()
_TYPE_NAMES = {_INT: "an integer", _FLOAT: "a number", _BOOL: "a boolean (true or false)", _TIMESTAMP: "a date"}


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
class Marks:
    """Where values and keys start, by path, as character offsets into the text walked
    (an int each, kept small for long-lived manifests); `SourceMap` turns them into lines.

    `complete` marks hold every path; otherwise only the coarse levels (see COARSE_DEPTH)
    and, in `ends`, where each section's mapping ends.
    """

    complete: bool
    value: dict[Path_, int] = field(default_factory=dict)
    key: dict[Path_, int] = field(default_factory=dict)
    ends: dict[Path_, int] = field(default_factory=dict)


@dataclass
class Loaded:
    """The value of one YAML file, the duplicate keys found while loading it, and where its values are."""

    value: Any
    duplicates: list[DuplicateKey]
    where: SourceMap


def read_text(path: Path) -> str:
    """Read a manifest file as UTF-8 (a BOM is accepted), refusing huge, non-regular or non-UTF-8 files.

    The read is bounded by MAX_BYTES itself, not by `st_size`, which is 0 for devices, FIFOs
    and /proc files; the open does not block on a FIFO without a writer.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise YamlProblem("io", f"cannot read file: {exc.strerror or exc}") from None
    except ValueError:  # an embedded NUL byte
        raise YamlProblem("io", "the path contains a NUL byte") from None
    with os.fdopen(fd, "rb") as stream:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise YamlProblem("io", f"not a regular file ({_file_kind(info.st_mode)}): a manifest is a *.yaml file or a directory of them")
            if info.st_size > MAX_BYTES:
                raise YamlProblem("yaml-limits", f"file is {info.st_size} bytes; the limit is {MAX_BYTES} bytes: split it into several files")
            data = stream.read(MAX_BYTES + 1)
        except OSError as exc:
            raise YamlProblem("io", f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise YamlProblem("yaml-limits", f"file is over {MAX_BYTES} bytes: split it into several files")
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


def _file_kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a directory" if stat.S_ISDIR(mode) else "not a file"


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
    if tag == _MERGE:
        return _MergeKey
    if tag == _VALUE:  # a bare `=`; SafeLoader has no constructor for it either
        raise YamlProblem("yaml-syntax", f"{value} is the YAML value key, not a value: quote it ({value!r}) to mean the text", _loc(event.start_mark))
    try:
        return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, value))
    except (ValueError, LookupError, AttributeError, TypeError, ArithmeticError) as exc:
        raise YamlProblem("yaml-value", _bad_value(event, tag, exc), _loc(event.start_mark)) from None


def _bad_value(event: ev.ScalarEvent, tag: str, exc: Exception) -> str:
    """Why a scalar that YAML reads as a number, boolean or date is none, and what to write."""
    what = _TYPE_NAMES.get(tag, tag)
    why = f" ({exc})" if isinstance(exc, ValueError) and tag == _TIMESTAMP else ""
    if event.tag is None:  # resolved from its look alone (2024-02-30, 0x_)
        return f"{event.value} reads as {what} but is not one{why}: quote it ({event.value!r}) to mean the text"
    short = event.tag.replace("tag:yaml.org,2002:", "!!")
    return f"{short} {event.value}: {event.value!r} is not {what}{why}: fix the value or remove the tag"


class _MergeKey:
    """Marker for the YAML merge key `<<`."""


class _Builder:
    """Turns an event stream into Python values, recording marks of the coarse levels (all with `track`)."""

    def __init__(self, parser: Any, track: bool) -> None:
        self.parser = parser
        self.track = track
        self.marks = Marks(track)
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.duplicates: list[DuplicateKey] = []
        self.entries_with_duplicates: set[Path_] = set()  # below the coarse levels, without `track`
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
        if self.track or depth < COARSE_DEPTH:  # entries' own marks come from their key and their text
            self.marks.value[path] = event.start_mark.index
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
            items.append(self.node(event, (*path, len(items)) if self.track or depth <= COARSE_DEPTH else path, depth))
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
            child = (*path, key) if self.track or depth <= COARSE_DEPTH else path
            if (self.track or depth <= COARSE_DEPTH) and key is not _MergeKey:
                self.marks.key[child] = key_mark.index
            value = self.node(self.next(), child, depth)
            if key is _MergeKey:
                merged.extend(self._merge_sources(value, key_mark))
                event = self.next()
                continue
            if key in key_marks:
                if self.track or depth <= COARSE_DEPTH:
                    self.duplicates.append(DuplicateKey((*path, key), _loc(key_mark), _loc(key_marks[key])))
                else:  # `path` is the coarse entry holding it: its text alone is re-walked for the full path
                    self.entries_with_duplicates.add(path)
            else:
                key_marks[key] = key_mark
            result[key] = value
            event = self.next()
        if depth == COARSE_DEPTH:
            self.marks.ends[path] = event.start_mark.index
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
        if mark is not None and (tab := _indenting_tab(text, mark)) is not None:
            raise YamlProblem("yaml-syntax", "YAML does not allow tabs for indentation: use spaces", Location(mark.line + 1, tab + 1)) from None
        problem = exc.problem or str(exc)
        raise YamlProblem("yaml-syntax", f"YAML syntax: {problem}", _loc(mark) if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("yaml-syntax", f"YAML: {exc}") from None
    return builder


def _indenting_tab(text: str, mark: Any) -> int | None:
    """The 0-based column of a tab in the indentation where libyaml stopped, if there is one."""
    start = mark.index - mark.column
    end = text.find("\n", start)
    line = text[start : end if end >= 0 else len(text)]
    indentation = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" in indentation and mark.column <= len(indentation):
        return indentation.index("\t")
    return None


def load(text: str) -> Loaded:
    """Parse one YAML document into plain values, with the marks of its coarse levels only (the fast path).

    A duplicate key inside a resource entry is located by re-walking that entry's text; any
    other duplicate (a section or an entry declared twice) by re-walking the whole file.
    """
    builder = _run(text, track=False)
    where = SourceMap(text, builder.marks)
    if not builder.duplicates:
        found: list[DuplicateKey] = []
        for entry in builder.entries_with_duplicates:
            walked = where._entry(entry)
            if walked is None:
                break
            found.extend(walked.duplicates)
        else:
            return Loaded(builder.value, sorted(found, key=lambda d: (d.location.line, d.location.column)), where)  # type: ignore[attr-defined]
    builder = _run(text, track=True)
    return Loaded(builder.value, builder.duplicates, SourceMap(text, builder.marks))  # type: ignore[attr-defined]


@dataclass
class _Entry:
    """One resource entry's text walked on its own: its marks, the offset its text starts at, its duplicate keys."""

    marks: Marks
    start: int
    duplicates: list[DuplicateKey]


class SourceMap:
    """Where each path of a file's value starts, for the files that have diagnostics.

    Paths of the coarse levels (a section, a resource entry) are answered from the marks the
    fast load kept. A deeper path re-walks only the text of the entry holding it, once per
    entry; the whole file is re-walked only when an entry's text cannot be read on its own
    (flow style, an alias to an anchor outside it) or no marks were kept.
    """

    def __init__(self, text: str, marks: Marks | None = None) -> None:
        self._text = text
        self._coarse = marks
        self._full: Marks | None = marks if marks is not None and marks.complete else None
        self._entries: dict[Path_, _Entry | None] = {}
        self._entry_ends: dict[Path_, int | None] | None = None
        self._line_starts: list[int] | None = None

    def locate(self, path: Path_, key: bool = False) -> Location:
        """The location of the value at `path` (or of its key), else of its nearest existing parent."""
        probe = path
        while probe:
            found = self._find(probe, key)
            if found:
                return found
            probe = probe[:-1]
        return self._find((), False) or Location(1, 1)

    def _find(self, path: Path_, key: bool) -> Location | None:
        coarse = self._coarse
        if self._full is None and coarse is not None:
            if len(path) < COARSE_DEPTH or (key and path in coarse.key):
                return self._location(coarse, path, key, 0)
            walked = self._entry(path[:COARSE_DEPTH]) if path[:COARSE_DEPTH] in coarse.key else None
            if walked is not None:
                return self._location(walked.marks, path[COARSE_DEPTH - 1 :], key, walked.start)
        if self._full is None:
            self._full = _run(self._text, track=True).marks
        return self._location(self._full, path, key, 0)

    def _location(self, marks: Marks, path: Path_, key: bool, base: int) -> Location | None:
        index = (marks.key.get(path) if key else None)
        if index is None:
            index = marks.value.get(path)
        if index is None:
            return None
        line = self._line_of(base + index)
        return Location(line + 1, base + index - self._lines()[line] + 1)

    def _lines(self) -> list[int]:
        """Where each line starts, breaking lines where libyaml does (CRLF, CR, LF, NEL, LS, PS)."""
        if self._line_starts is None:
            self._line_starts = [0, *(m.end() for m in _BREAKS.finditer(self._text))]
        return self._line_starts

    def _line_of(self, index: int) -> int:
        return bisect.bisect_right(self._lines(), index) - 1

    def _entry(self, entry: Path_) -> _Entry | None:
        """One entry's text walked on its own; None if it cannot be."""
        if entry not in self._entries:
            self._entries[entry] = self._walk_entry(entry)
        return self._entries[entry]

    def _walk_entry(self, entry: Path_) -> _Entry | None:
        assert self._coarse is not None
        key = self._coarse.key.get(entry)
        end = self._ends().get(entry)
        if key is None or end is None:
            return None
        line = self._line_of(key)
        if end >= len(self._text):  # the last entry of the file: its text runs to the end
            last, stop = len(self._lines()), len(self._text)
        else:
            last = self._line_of(end)
            stop = self._lines()[last]
        if last <= line:
            return None  # flow style: the entry shares a line with its neighbours
        start = self._lines()[line]
        try:
            builder = _run(self._text[start:stop], track=True)
        except YamlProblem:
            return None
        value = builder.value  # type: ignore[attr-defined]
        if not (isinstance(value, dict) and len(value) == 1 and builder.marks.key.get(entry[-1:]) == key - start):
            return None
        duplicates = [
            DuplicateKey((*entry[:-1], *d.path), Location(d.location.line + line, d.location.column), Location(d.first.line + line, d.first.column))
            for d in builder.duplicates
        ]
        return _Entry(builder.marks, start, duplicates)

    def _ends(self) -> dict[Path_, int | None]:
        """Where each entry's text ends: at the next entry's key, or the end of its section."""
        if self._entry_ends is None:
            assert self._coarse is not None
            ends: dict[Path_, int | None] = {}
            previous: Path_ | None = None
            for path, index in self._coarse.key.items():  # document order
                if previous is not None:
                    ends[previous] = index if len(path) == COARSE_DEPTH and path[:-1] == previous[:-1] else self._coarse.ends.get(previous[:-1])
                previous = path if len(path) == COARSE_DEPTH else None
            if previous is not None:
                ends[previous] = self._coarse.ends.get(previous[:-1])
            self._entry_ends = ends
        return self._entry_ends
