"""The in-memory form of a loaded spec: plain, immutable-by-convention dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.spec.naming import python_identifier, snake


@dataclass(frozen=True)
class ApiInfo:
    name: str
    protocol: str
    title: str
    version: str | None
    client: str
    async_client: str
    error_base: str
    base_url: str
    docs: str
    token_kinds: tuple[str, ...]
    rate_limits: dict[str, float]


@dataclass(frozen=True)
class ErrorInfo:
    code: int
    name: str
    wire_name: str | None
    message: str | None
    is_global: bool
    retryable: bool
    subcodes: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class Param:
    name: str
    python_name: str | None
    schema: Any
    required: bool
    location: str
    encoding: str | None
    default: Any

    @property
    def attr(self) -> str:
        return self.python_name or python_identifier(self.name)


@dataclass(frozen=True)
class Body:
    schema: Any
    required: bool
    flat: bool


@dataclass(frozen=True)
class Variant:
    name: str
    when: dict[str, Any]
    result: Any


@dataclass(frozen=True)
class Pagination:
    page: str
    size: str
    location: str
    first_page: int
    max_size: int | None
    total: tuple[str, ...]
    items: str | None = None  # the array property of an object result holding a page's items
    # "page": page numbers (YCLIENTS); "offset": `page` is an item offset (VK); "range": `page` and `size`
    # are the first and last index (Wialon); "cursor": `page` takes the result's `next` property (VK).
    style: str = "page"
    next: str | None = None


@dataclass(frozen=True)
class Method:
    name: str
    python_name: str | None
    params: list[Param]
    body: Body | None
    result: Any
    variants: list[Variant]
    errors: tuple[int, ...]
    token_kinds: tuple[str, ...]
    idempotent: bool
    batchable: bool
    heavy: bool
    exclusive: str | None
    pagination: Pagination | None
    docs_url: str | None
    deprecated: bool
    http_status: int | None
    path: Path = field(compare=False)
    index: int = field(compare=False)

    @property
    def attr(self) -> str:
        """The Python method name."""
        if self.python_name:
            return self.python_name
        last = self.name.replace("/", ".").rsplit(".", 1)[-1]
        return python_identifier(last)


@dataclass(frozen=True)
class Group:
    name: str
    wire: str
    class_prefix: str | None
    toplevel: bool
    methods: list[Method]
    path: Path = field(compare=False)


@dataclass(frozen=True)
class ModelDef:
    name: str
    module: str
    schema: Any


@dataclass(frozen=True)
class Spec:
    api: ApiInfo
    errors: list[ErrorInfo]
    groups: list[Group]
    models: dict[str, ModelDef]
    root: Path

    @property
    def module_names(self) -> list[str]:
        return sorted({m.module for m in self.models.values()})


__all__ = [
    "ApiInfo",
    "Body",
    "ErrorInfo",
    "Group",
    "Method",
    "ModelDef",
    "Pagination",
    "Param",
    "Spec",
    "Variant",
    "snake",
]
