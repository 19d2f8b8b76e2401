"""The `apiforge` command line: call any method of any API, look methods up, run fakes, regenerate.

    apiforge call vk users.get user_ids=1,5 fields=photo_100
    apiforge methods yclients 'clients.*'
    apiforge fake wialon --port 8080
    apiforge regenerate

Also `python -m apiforge ...`. `main(argv)` runs it in-process and returns the exit status.
"""

from __future__ import annotations

from apiforge.cli.main import main

__all__ = ["main"]
