"""Reading a manifest from a file or a directory of files, merged, with the origin of every resource.

A directory manifest is the `*.yaml` / `*.yml` files directly in it (hidden ones skipped,
sorted), so a team can split accounts, projects and DNS into files of their own. Its
subdirectories are not read: another tool's YAML there (docker-compose.yml, CI files)
is not part of the manifest. A directory with no YAML file of its own whose
subdirectories are manifests is a *collection* (a consultant's `customers/`): each of
those is a manifest of its own, never merged with its siblings.
The merged value looks exactly like a one-file manifest; `Origins` remembers which file
each top-level entry came from, so a diagnostic on the merged value finds its file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailconf.diagnostics import Diagnostic, Severity
from mailconf.model import RESOURCE_SECTIONS, SINGLETONS, domain_key
from mailconf.yamlsource import Location, Path_, SourceMap, YamlProblem, load, read_text

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class SourceFile:
    """One file of a manifest: its text, and where its values are (for diagnostics)."""

    path: Path
    text: str
    where: SourceMap

    def locate(self, path: Path_, key: bool = False) -> Location:
        return self.where.locate(path, key)


@dataclass
class ManifestSource:
    """The merged value of a manifest, where each part came from, and the problems met on the way."""

    root: Path
    value: dict[str, Any] = field(default_factory=dict)
    files: list[SourceFile] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)  # every file read, including those that failed to load
    origins: dict[Path_, SourceFile] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        """The directory relative paths of the manifest (secret files, SQLite files) start from."""
        return self.root if self.root.is_dir() else self.root.parent

    def file_of(self, path: Path_) -> SourceFile | None:
        """The file that declared the value at `path` of the merged manifest.

        A whole section (`("accounts",)`) is found in the first file that declares an entry of it.
        """
        found = self.origins.get(path[:2]) or self.origins.get(path[:1])
        if found is None and path:
            found = next((file for where, file in self.origins.items() if where[0] == path[0]), None)
        return found or (self.files[0] if self.files else None)

    def diagnostic(self, code: str, severity: Severity, message: str, path: Path_, key: bool = False) -> Diagnostic:
        """A diagnostic located at `path` of the merged manifest."""
        source = self.file_of(path)
        if source is None:
            return Diagnostic(code, severity, message, str(self.root), 1, 1, path)
        location = source.locate(path, key)
        return Diagnostic(code, severity, message, str(source.path), location.line, location.column, path)


def manifest_files(root: Path) -> list[Path]:
    """The YAML files of a manifest path, in a stable order: the file itself, or those directly in the directory."""
    if root.is_dir():
        return sorted(p for p in root.iterdir() if p.suffix in YAML_SUFFIXES and not p.name.startswith(".") and p.is_file())
    return [root]


def collection(root: Path) -> list[Path]:
    """The manifests a collection directory holds (its subdirectories with YAML files of their own), sorted;
    empty when `root` is not a collection (a file, a directory manifest, or a directory with neither)."""
    try:
        if "\0" in str(root) or not root.is_dir() or manifest_files(root):
            return []
        return sorted(p for p in root.iterdir() if not p.name.startswith(".") and p.is_dir() and _holds_yaml(p))
    except OSError:  # unreadable: read_manifest reports it
        return []


def _holds_yaml(directory: Path) -> bool:
    try:
        return bool(manifest_files(directory))
    except OSError:
        return False


def manifest_roots(root: Path) -> list[Path]:
    """Each manifest a path names: the manifests of a collection, else the path itself."""
    return collection(root) or [root]


def read_manifest(root: Path) -> ManifestSource:
    """Load and merge every file of a manifest; problems become diagnostics, never exceptions."""
    source = ManifestSource(root)
    if "\0" in str(root):  # the OS refuses such a path; say why instead of "no such file"
        source.diagnostics.append(Diagnostic("io", Severity.ERROR, "the path contains a NUL byte", str(root).replace("\0", "\\0"), 1, 1, ()))
        return source
    try:
        root.stat()
    except OSError as exc:  # missing, a name too long for the file system, a loop of links, no permission
        source.diagnostics.append(Diagnostic("io", Severity.ERROR, (exc.strerror or str(exc)).lower(), str(root), 1, 1, ()))
        return source
    try:
        paths = source.paths = manifest_files(root)
    except OSError as exc:
        source.diagnostics.append(Diagnostic("io", Severity.ERROR, f"cannot read directory: {exc.strerror or exc}", str(root), 1, 1, ()))
        return source
    if not paths:
        message = "the directory holds no *.yaml or *.yml file, and no subdirectory that does (a manifest is the YAML files directly in a directory)"
        source.diagnostics.append(Diagnostic("io", Severity.ERROR, message, str(root), 1, 1, ()))
    for path in paths:
        _add_file(source, path)
    if root.is_dir():
        source.diagnostics.extend(_unread_manifest_files(root))
    return source


# A top-level key only a mailconf manifest has (docker-compose and CI files have `version:` too).
_MAILCONF_KEY = re.compile(rb"^(?:" + b"|".join(k.encode() for k in (*RESOURCE_SECTIONS, *SINGLETONS)) + rb")\s*:", re.MULTILINE)
_SNIFF_BYTES = 65536


def _unread_manifest_files(root: Path) -> Iterator[Diagnostic]:
    """Files below a manifest directory that look like parts of it. Subdirectories are not read
    (another tool's YAML lives there), so a manifest file moved into one would vanish from the
    manifest silently, and plan would delete what it declared: each is an error instead."""
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        if Path(directory) == root:
            continue
        for name in sorted(files):
            path = Path(directory) / name
            if path.suffix not in YAML_SUFFIXES or name.startswith(".") or not path.is_file():
                continue
            try:
                with path.open("rb") as file:
                    head = file.read(_SNIFF_BYTES)
            except OSError:
                continue
            if _MAILCONF_KEY.search(head):
                message = (
                    f"this looks like part of the manifest {root}, but files in its subdirectories are not read: "
                    f"move it into {root}, or out of it if it is an old copy"
                )
                yield Diagnostic("manifest-subdirectory", Severity.ERROR, message, str(path), 1, 1, ())


def _add_file(source: ManifestSource, path: Path) -> None:
    try:
        text = read_text(path)
        loaded = load(text)
    except YamlProblem as problem:
        where = problem.location or Location(1, 1)
        source.diagnostics.append(Diagnostic(problem.code, Severity.ERROR, problem.message, str(path), where.line, where.column, ()))
        return
    file = SourceFile(path, text, loaded.where)
    source.files.append(file)
    for dup in loaded.duplicates:
        source.diagnostics.append(
            Diagnostic(
                "duplicate-key",
                Severity.ERROR,
                f"key {dup.path[-1]!r} appears twice in this mapping (first at line {dup.first.line}); YAML keeps only the last: remove one",
                str(path),
                dup.location.line,
                dup.location.column,
                dup.path,
            )
        )
    value = loaded.value
    if value is None:
        return
    if not isinstance(value, dict):
        source.diagnostics.append(Diagnostic("schema", Severity.ERROR, "a manifest file must be a mapping (version, accounts, ...)", str(path), 1, 1, ()))
        return
    _merge(source, file, value)


def _merge(source: ManifestSource, file: SourceFile, value: dict[str, Any]) -> None:
    merged = source.value
    for key, item in value.items():
        if key in RESOURCE_SECTIONS and not isinstance(item, dict):
            # Reported here, in its own file, and never merged: another file may hold the same section.
            location = file.locate((key,))
            message = f"{key} must be a mapping of names to entries, not {'null' if item is None else type(item).__name__}"
            source.diagnostics.append(Diagnostic("schema", Severity.ERROR, message, str(file.path), location.line, location.column, (key,)))
        elif key in RESOURCE_SECTIONS:
            section = merged.setdefault(key, {})
            # DNS names (spf) are one resource whatever the case and trailing dot: the spelling met first
            spelt = {domain_key(name): name for name in section} if key == "spf" else None
            for name, resource in item.items():
                first = name if spelt is None or not isinstance(name, str) else spelt.setdefault(domain_key(name), name)
                if first in section:
                    _duplicate(source, file, (key, name), (key, first))
                    continue
                section[name] = resource
                source.origins[(key, name)] = file
        elif key == "version":
            merged.setdefault("version", item)
            if merged["version"] != item:
                source.diagnostics.append(source_diag(file, "version-mismatch", f"version {item!r} differs from {merged['version']!r} in another file of this manifest", ("version",)))
        elif key in merged and (key in SINGLETONS or key in RESOURCE_SECTIONS):
            _duplicate(source, file, (key,), (key,))
        else:
            merged[key] = item
            source.origins[(key,)] = file


def _duplicate(source: ManifestSource, file: SourceFile, path: Path_, first_path: Path_) -> None:
    first = source.origins[first_path]
    where = first.locate(first_path, key=True)
    name = "/".join(str(p) for p in path)
    also = "" if first_path == path else f" (as {first_path[-1]}: one DNS name, whatever the case and trailing dot)"
    source.diagnostics.append(
        source_diag(file, "duplicate-resource", f"{name} is declared twice{also}; the first is at {first.path}:{where.line}:{where.column}: keep one", path)
    )


def source_diag(file: SourceFile, code: str, message: str, path: Path_) -> Diagnostic:
    """An error located at `path` (its key) inside one file."""
    location = file.locate(path, key=True)
    return Diagnostic(code, Severity.ERROR, message, str(file.path), location.line, location.column, path)
