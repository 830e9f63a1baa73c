"""`mailconf autoconfig DOMAIN [PATH]`: the config-v1.1.xml a domain serves so mail clients set themselves up."""

from __future__ import annotations

import argparse
import sys

from mailconf.terminal import add_colour_option


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "autoconfig",
        help="write the autoconfig document (config-v1.1.xml) a domain serves to mail clients",
        description="From the manifest's accounts at DOMAIN, write the Thunderbird autoconfig document mail clients "
        "fetch from https://autoconfig.DOMAIN/mail/config-v1.1.xml (or /.well-known/autoconfig/mail/ on DOMAIN). "
        "The servers most accounts use come first.",
    )
    parser.add_argument("domain", metavar="DOMAIN")
    parser.add_argument("path", nargs="?", default=".", metavar="PATH", help="the manifest file or directory (default: .)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of to standard output")
    add_colour_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailconf import report
    from mailconf.diagnostics import Severity
    from mailconf.discover.clientconfig import render
    from mailconf.discover.publish import publish
    from mailconf.engine.workspace import ManifestInvalid
    from mailconf.model import domain_key
    from mailconf.terminal import Painter, use_colour
    from mailconf.validate import Report, validate_path

    checked = validate_path(Path(args.path))
    if checked.manifest is None or any(d.severity is Severity.ERROR for d in checked.diagnostics):
        result = Report([checked])
        print(report.text(result, Painter(use_colour(sys.stderr, args.no_color))), file=sys.stderr)
        raise ManifestInvalid(result)
    domain = domain_key(args.domain)
    published = publish(checked.manifest, domain)
    for reason in published.skipped:
        print(f"mailconf: warning: left out of the document: {reason}", file=sys.stderr)
    document = render(domain, published.servers)
    if args.output:
        Path(args.output).write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)
    return 0
