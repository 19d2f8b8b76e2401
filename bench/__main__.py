"""`python -m bench`: run the benchmarks, print the tables and write bench/RESULTS.md.

python -m bench                          # everything, full iteration counts
python -m bench --quick --output -       # tiny counts, print only (what the smoke test runs)
python -m bench --only overhead decoding
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import (
    batching,
    decoding,
    editor,
    field_reads,
    first_result,
    imports,
    overhead,
    profiling,
    report,
    tooling,
)

SECTIONS = ("overhead", "profile", "decoding", "imports", "first", "batching", "tooling", "editor")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections and report them."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny iteration counts: checks the harness, not speed")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="sections to run")
    parser.add_argument("--calls", type=int, default=300, help="measured calls per client (section 1)")
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per import scenario (section 3)")
    parser.add_argument(
        "--output", default=str(Path(__file__).with_name("RESULTS.md")), help="where to write the report; - for nowhere"
    )
    args = parser.parse_args(argv)
    calls, warmup = (5, 2) if args.quick else (args.calls, max(10, args.calls // 10))
    decode_iterations, decode_users = (2, 200) if args.quick else (15, decoding.USERS)
    runs = 1 if args.quick else args.runs
    settings = (
        f"{calls} calls per client after {warmup} warm-up; decoding {decode_users} users x {decode_iterations};"
        f" {runs} fresh interpreters per import scenario"
    )
    only = set(args.only)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    load_before = os.getloadavg()
    parts: dict[str, object] = {}
    if "overhead" in only:
        say("[1/5] per-call overhead")
        parts["overhead"] = overhead.run(iterations=calls, warmup=warmup)
    if "profile" in only:
        say("      profiling apiforge's calls")
        parts["profiles"] = [profiling.profile(api, calls=max(5, calls // 3)) for api in ("vk", "wialon", "yclients")]
    if "decoding" in only:
        say("[2/5] decoding")
        parts["decoding"] = decoding.run(users=decode_users, iterations=decode_iterations, warmup=1)
        say("      reading present and absent fields")
        parts["field_reads"] = field_reads.run(users=decode_users, rounds=decode_iterations)
    if "imports" in only:
        say("[3/5] imports and memory")
        parts["imports"] = imports.run(runs=runs)
    if "first" in only:
        say("      time to first result")
        parts["first_result"] = first_result.run(runs=runs)
    if "batching" in only:
        say("[4/5] batching")
        parts["batching"] = batching.run()
    if "tooling" in only:
        say("[5/5] generation and typing")
        parts["tooling"] = tooling.run()
    if "editor" in only:
        say("      editor and checker beside vkbottle")
        parts["editor"] = editor.run(repeats=1 if args.quick else 5)
    run = report.Run(settings, load_before, os.getloadavg(), **parts)  # type: ignore[arg-type]
    text = report.render(run)
    print(text)
    if args.output != "-":
        Path(args.output).write_text(text + "\n")
        say(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
