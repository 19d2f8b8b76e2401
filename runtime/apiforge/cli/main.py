"""The `apiforge` command: parse the command line, run one subcommand, map failures to exit statuses.

Exit statuses: 0 done; 1 the run failed (an API or transport error, a failed step); 2 the
command line is wrong (argparse's convention: unknown method or parameter, bad value, no token).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from apiforge.cli.apis import API_NAMES
from apiforge.cli.errors import EXIT_OK, CLIError

_EPILOG = """\
examples:
  apiforge call vk users.get user_ids=1,5 fields=photo_100
  apiforge call yclients companies.list --json
  apiforge call wialon core/search_item id=734455 flags=1 --base-url http://127.0.0.1:8080
  apiforge methods vk 'messages.get*'
  apiforge fake wialon --port 8080
  apiforge fake vk --say hello           # then examples/vk_bot.py against it gets a message
  apiforge gateway --port 8765
  apiforge regenerate --api wialon

tokens come from --token or the environment: APIFORGE_VK_TOKEN, APIFORGE_YCLIENTS_PARTNER_TOKEN
(and APIFORGE_YCLIENTS_USER_TOKEN for calls made as a user), APIFORGE_WIALON_TOKEN.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="apiforge",
        description="Call VK, YCLIENTS and Wialon methods, look them up, run fake servers, regenerate the SDKs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    call = commands.add_parser("call", help="call one API method and print its result")
    call.add_argument("api", choices=API_NAMES)
    call.add_argument("method", help="wire name (users.get, 'GET /api/v1/companies', core/search_item) or Python path")
    call.add_argument("params", nargs="*", metavar="key=value", help="parameters; lists comma-separated, objects JSON")
    call.add_argument("--token", help="the API token (YCLIENTS: the partner token); default from the environment")
    call.add_argument("--user-token", help="YCLIENTS: the user token; default $APIFORGE_YCLIENTS_USER_TOKEN")
    call.add_argument(
        "--token-kind",
        choices=("user", "group", "service", "open"),
        help="VK: what the token is (default user, or $APIFORGE_VK_TOKEN_KIND); methods accept some kinds only",
    )
    call.add_argument("--base-url", help="scheme and host of the server (a fake, a proxy, Wialon Local)")
    call.add_argument("--max-retries", type=int, help="retries of a failed call (default 3)")
    call.add_argument("--timeout", type=float, help="seconds per request")
    shape = call.add_mutually_exclusive_group()
    shape.add_argument("--json", dest="fmt", action="store_const", const="json", help="print JSON (default off a tty)")
    shape.add_argument(
        "--table", dest="fmt", action="store_const", const="table", help="print lists of objects as a table"
    )
    call.set_defaults(fmt="auto")

    methods = commands.add_parser("methods", help="search an API's methods and show their signatures and texts")
    methods.add_argument("api", choices=API_NAMES)
    methods.add_argument("pattern", nargs="?", help="a substring or a glob (users.*) of the wire or Python name")
    methods.add_argument(
        "--brief", action="store_true", help="one line per method with its summary, without parameters"
    )

    fake = commands.add_parser("fake", help="serve a fake API on 127.0.0.1 until Ctrl-C")
    fake.add_argument("api", choices=API_NAMES)
    fake.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    fake.add_argument(
        "--say",
        action="append",
        default=[],
        metavar="TEXT",
        help="vk: a user writes TEXT to the community once a bot listens (repeatable)",
    )
    fake.add_argument("--from-user", type=int, default=1, help="vk: the user who writes (default 1)")
    fake.add_argument("--stdin", action="store_true", help="vk: each line typed here is a user's message")

    gateway = commands.add_parser("gateway", help="run a demo WebSocket gateway wired to the fakes until Ctrl-C")
    gateway.add_argument("--host", default="127.0.0.1", help="the interface to listen on (default 127.0.0.1)")
    gateway.add_argument("--port", type=int, default=8765, help="the port (default 8765; 0: a free one)")

    regenerate = commands.add_parser("regenerate", help="in a checkout: import upstream documents, generate, diff")
    regenerate.add_argument("--api", choices=API_NAMES, action="append", help="only this API (repeatable)")
    regenerate.add_argument("--vk-source", type=Path, help="the VK schema folder (default ../shared/upstream/...)")
    regenerate.add_argument("--yclients-source", type=Path, help="the YCLIENTS OpenAPI file")
    regenerate.add_argument("--no-import", action="store_true", help="generate from specs/ as they are")
    regenerate.add_argument("--ref", default="HEAD", help="the git revision to compare with (default HEAD)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `apiforge` command line; returns the exit status."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        # key=value words may follow options (`call vk users.get --json user_ids=1`): keep them.
        stray = [word for word in extra if word.startswith("-") or "=" not in word]
        if stray or (extra and args.command != "call"):
            parser.error(f"unrecognized arguments: {' '.join(stray or extra)}")
        return _dispatch(args, extra)
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2
    except CLIError as exc:
        print(f"apiforge: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `apiforge methods vk | head`: the reader left; say nothing more (Python's documented recipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _dispatch(args: argparse.Namespace, extra: list[str]) -> int:
    command: str = args.command
    if command == "call":
        from apiforge.cli.call import run_call

        run_call(
            args.api,
            args.method,
            [*args.params, *extra],
            token=args.token,
            user_token=args.user_token,
            token_kind=args.token_kind,
            base_url=args.base_url,
            max_retries=args.max_retries,
            timeout=args.timeout,
            fmt=args.fmt,
        )
    elif command == "methods":
        from apiforge.cli.methods import run_methods

        run_methods(args.api, args.pattern, brief=args.brief)
    elif command == "fake":
        from apiforge.cli.fake import run_fake

        run_fake(
            args.api, port=args.port, says=args.say, from_user=args.from_user, stdin=sys.stdin if args.stdin else None
        )
    elif command == "gateway":
        from apiforge.cli.gateway import run_gateway

        run_gateway(args.host, args.port)
    else:
        from apiforge.cli.regenerate import run_regenerate

        run_regenerate(
            apis=args.api,
            sources={"vk": args.vk_source, "yclients": args.yclients_source},
            do_import=not args.no_import,
            ref=args.ref,
        )
    return EXIT_OK


__all__ = ["build_parser", "main"]
