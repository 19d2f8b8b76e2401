"""`python -m codegen`: import upstream documents into specs, generate the SDKs from specs."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from codegen.spec.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
APIS = ("vk", "yclients", "wialon")
IMPORTABLE = ("vk", "yclients")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="generate generated/apiforge/<api> from specs/<api>")
    generate.add_argument("--api", choices=APIS, action="append", help="only this API (repeatable; default: all)")
    generate.add_argument("--check", action="store_true", help="write nothing; exit 1 naming the files that are stale")
    generate.add_argument("--quiet", action="store_true", help="no progress lines")

    imp = commands.add_parser("import", help="turn an upstream API description into specs/<api>")
    imp.add_argument("api", choices=IMPORTABLE)
    imp.add_argument("source", type=Path, help="VK: the schema folder; YCLIENTS: the OpenAPI JSON file")
    imp.add_argument("--specs", type=Path, default=ROOT / "specs", help="the specs folder to write into")
    imp.add_argument(
        "--strict", action="store_true", help="VK: an overlay entry that does not fit the schema is an error"
    )

    diff = commands.add_parser("diff", help="API changes (methods, parameters, fields, types) since a git revision")
    diff.add_argument("--api", choices=APIS, action="append", help="only this API (repeatable; default: all)")
    diff.add_argument("--ref", default="HEAD", help="the git revision of the old specs (default HEAD)")
    diff.add_argument(
        "--before", type=Path, help="instead of --ref: an old specs folder, or a folder of the official VK schema"
    )
    diff.add_argument(
        "--after", type=Path, help="the new specs folder or VK schema folder (default: specs/ of the working tree)"
    )
    diff.add_argument("--overlay", type=Path, help="the VK overlay for schema folders (default: specs/vk/overlay.yaml)")
    diff.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="markdown: release notes by section, breaking changes first",
    )
    diff.add_argument("--json", action="store_true", help="machine-readable output (same as --format json)")
    diff.add_argument("--fail-on-breaking", action="store_true", help="exit 1 when a change is breaking")
    usage = commands.add_parser(
        "usage", help="the methods and models real code uses most (tests/corpus), and which lack texts in prose/"
    )
    usage.add_argument("--methods", type=int, default=150, help="how many methods (default 150)")
    usage.add_argument("--models", type=int, default=30, help="how many models (default 30)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "generate":
            from codegen.generate import run

            return run(apis=args.api or list(APIS), check=args.check, quiet=args.quiet)
        if args.command == "usage":
            from codegen import usage

            return usage.run(methods=args.methods, models=args.models)
        if args.command == "diff":
            from codegen import diff

            return diff.run(
                args.api or list(APIS),
                ref=args.ref,
                before=args.before,
                after=args.after,
                as_json=args.json,
                fail_on_breaking=args.fail_on_breaking,
                output=args.format,
                overlay=args.overlay,
            )
        importer = importlib.import_module(f"codegen.importers.{args.api}")
        if not args.source.exists():
            print(f"error: {args.source}: no such file or folder", file=sys.stderr)
            return 2
        if args.api == "vk":
            importer.run(args.source, args.specs, strict=args.strict)
        else:
            importer.run(args.source, args.specs)
        return 0
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
