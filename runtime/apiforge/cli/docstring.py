"""Our texts about a method, read back from its generated docstring.

The generator writes a method's summary (from `prose/<api>/methods.yaml`) as the docstring's
first paragraph and each parameter's text at the head of its `Args:` line, before the facts it
adds itself (`Type: ...`). The runtime does not depend on the generator, so the command line
reads the texts from there rather than from the prose files:

    Read the profiles of the given users, or of the token's owner when none are given.

    Calls `users.get`; tokens: user, group, service.

    Args:
        user_ids: Users to read, by numeric id or screen name. Type: Sequence[int | str]; ...
        from_ (sent as `from`): Start of the period. Type: str | None (body field `from`).
        count: int; >= 0.                      <- no text: facts only

A method without a summary has the placeholder first paragraph "Call `<wire name>`.".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# "Call `users.get`." is what the generator writes when we have no summary for a method.
_PLACEHOLDER = re.compile(r"^Call `[^`]*`\.$")
# One `Args:` entry: the attribute, the wire name when it differs, then what follows the colon.
_ARG = re.compile(r"^    (?P<name>\w+)(?: \(sent as `[^`]*`\))?: (?P<rest>.*)$")
# Our text ends where the generator's facts begin.
_FACTS = " Type: "


@dataclass(frozen=True)
class MethodTexts:
    """A method's summary (None: we have none) and the texts of its parameters by Python name."""

    summary: str | None = None
    params: dict[str, str] = field(default_factory=dict[str, str])


def method_texts(doc: str | None) -> MethodTexts:
    """The summary and parameter texts of a generated method's docstring (`inspect.getdoc` form)."""
    if not doc:
        return MethodTexts()
    paragraphs = doc.split("\n\n")
    first = " ".join(paragraphs[0].split())
    summary = None if _PLACEHOLDER.match(first) else first or None
    params: dict[str, str] = {}
    lines = doc.splitlines()
    if "Args:" in lines:
        for line in lines[lines.index("Args:") + 1 :]:
            entry = _ARG.match(line)
            if entry is None:
                break  # the blank line (or the next section) ends the list
            text, facts, _ = entry["rest"].partition(_FACTS)
            if facts:
                params[entry["name"]] = text
    return MethodTexts(summary=summary, params=params)


__all__ = ["MethodTexts", "method_texts"]
