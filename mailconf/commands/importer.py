"""`mailconf import TARGET -o DIR`: write a manifest from a target's live state."""

from __future__ import annotations

import argparse

from mailconf.commands._engine import add_manifest_options, open_workspace


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "import",
        help="write a manifest from what a target holds today",
        description="Read every resource of TARGET (declared in the manifest at PATH) and write a manifest "
        "declaring them into DIR/mailconf.yaml. Passwords become ${env:...} references to fill in (only for "
        "accounts that have one); relative paths in the target's settings are rewritten relative to DIR. A plan "
        "right after shows no change apart from those secrets.",
    )
    parser.add_argument("target", metavar="TARGET", help="the target to read, as named in the manifest")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="the directory to write the manifest into")
    add_manifest_options(parser, "the manifest that declares TARGET (default: .)", positional=False)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import yaml

    from mailconf.engine.importer import import_target
    from mailconf.errors import UsageError

    output = Path(args.output) / "mailconf.yaml"
    if output.exists():
        raise UsageError(f"{output} exists: import into an empty directory so nothing is overwritten")
    workspace = open_workspace(args.path, args.state, no_color=args.no_color)
    try:
        [name] = workspace.target_names([args.target])
        imported = import_target(workspace, name, output.parent)
    finally:
        workspace.close()
    output.parent.mkdir(parents=True, exist_ok=True)
    header = "# Imported by `mailconf import`. Set these variables before planning:\n" + "".join(f"#   {variable}\n" for variable in imported.variables)
    output.write_text(header + yaml.safe_dump(imported.manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"wrote {output}: {imported.resources} resources from target {name}")
    return 0
