"""`python -m codegen diff --format markdown`: API changes as release notes for a changelog.

Per API: a heading with the versions compared, a line of counts, then the breaking changes and
then the others, each grouped by section (the method group or models module they belong to), in
the order `diff.compare` finds them: methods before models, each in name order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from codegen.diff import Change


def render_markdown(
    report: Mapping[str, Sequence[Change]],
    *,
    versions: Mapping[str, tuple[str, str]] | None = None,
    against: str = "",
) -> str:
    """Release notes in Markdown: one `##` part per API; `versions`: api -> (before, after)."""
    parts: list[str] = []
    for api, changes in report.items():
        before, after = (versions or {}).get(api, ("", ""))
        title = f"{api} {before} → {after}" if before and after and before != after else api
        parts.append(f"## {title}\n")
        if not changes:
            parts.append(f"No API changes{f' against {against}' if against else ''}.\n")
            continue
        parts.append(summary(changes) + "\n")
        for heading, chosen in (
            ("Breaking changes", [c for c in changes if c.breaking]),
            ("Other changes", [c for c in changes if not c.breaking]),
        ):
            if not chosen:
                continue
            parts.append(f"### {heading}\n")
            for section in sorted({c.section for c in chosen}, key=lambda s: (s == "", s)):
                parts.append(f"#### {section or 'other'}\n")
                parts.append("".join(f"- {line(c)}\n" for c in chosen if c.section == section))
    return "\n".join(parts)


def summary(changes: Sequence[Change]) -> str:
    """One line of counts: methods, parameters, models, fields and types, and breaking changes."""

    def count(kind: str, subject: str) -> int:
        return sum(c.kind == kind and c.subject == subject for c in changes)

    required = sum(c.subject == "parameter" and c.detail.endswith("became required") for c in changes)
    types = sum(c.kind == "changed" and (": type " in c.detail or c.subject in ("type", "result")) for c in changes)
    groups = [
        ("methods", [("added", count("added", "method")), ("removed", count("removed", "method"))]),
        (
            "parameters",
            [
                ("added", count("added", "parameter")),
                ("removed", count("removed", "parameter")),
                ("renamed", count("renamed", "parameter")),
                ("made required", required),
            ],
        ),
        ("models", [("added", count("added", "model")), ("removed", count("removed", "model"))]),
        ("fields", [("added", count("added", "field")), ("removed", count("removed", "field"))]),
        ("types", [("changed", types)]),
    ]
    pieces = [
        f"{noun}: " + ", ".join(f"{n} {verb}" for verb, n in counts if n)
        for noun, counts in groups
        if any(n for _, n in counts)
    ]
    breaking = sum(c.breaking for c in changes)
    return f"{len(changes)} changes ({'; '.join(pieces)}); **{breaking} breaking**."


def line(change: Change) -> str:
    """One change as a list item: what, where, and how, with code in backticks."""
    owner = f"`{change.owner}`" if change.owner else change.what
    name = f"`{change.name}`"
    if change.subject in ("method", "model") and change.kind in ("added", "removed"):
        noun = "method" if change.subject == "method" else change.what.split()[0]
        return f"{noun} {owner} {change.kind}: `{change.detail}`"
    if change.subject in ("parameter", "field", "member"):
        _, _, rest = change.detail.partition(": ")
        if change.kind == "renamed":
            old = change.detail.split()[1]
            return f"{owner}: {change.subject} `{old}` renamed {name} (`{rest}`)"
        if change.kind in ("added", "removed"):
            return f"{owner}: {change.subject} {name} {change.kind} (`{rest}`)"
        if rest.startswith("type "):
            old, _, new = rest[len("type ") :].partition(" -> ")
            return f"{owner}: {change.subject} {name} type `{old}` → `{new}`"
        return f"{owner}: {change.subject} {name} {rest}"
    if change.subject in ("result", "type"):
        label, _, types = change.detail.rpartition(": ") if change.subject == "result" else ("type", "", change.detail)
        old, _, new = types.removeprefix("type ").partition(" -> ")
        return f"{owner}: {label} `{old}` → `{new}`"
    return f"{owner}: {change.detail}"


__all__ = ["line", "render_markdown", "summary"]
