"""What a file argument of a multipart upload may be."""

from __future__ import annotations

import os
from typing import BinaryIO, TypeAlias

FileInput: TypeAlias = bytes | str | os.PathLike[str] | BinaryIO
"""File content as bytes, a path to read, or a binary file object."""

__all__ = ["FileInput"]
