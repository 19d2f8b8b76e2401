"""What can go wrong with a batch before or instead of its calls' own API errors."""

from __future__ import annotations

from apiforge.core.errors import APIForgeError, ConfigurationError


class NotBatchableError(ConfigurationError):
    """The method cannot go into a batch request (its spec says so, or the API cannot run it there)."""

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(f"{method}: cannot be batched: {reason}")
        self.method = method


class NotSentError(APIForgeError):
    """A pending result was read before its batch was sent."""

    def __init__(self, method: str) -> None:
        super().__init__(
            f"{method}: the batch has not been sent yet; read results after the `with` block (or after `batch.send()`)"
        )
        self.method = method


class BatchCancelledError(APIForgeError):
    """The call was never sent: the block that queued it raised, so the batch was dropped."""

    def __init__(self, method: str, cause: BaseException) -> None:
        super().__init__(f"{method}: not sent: the batch block raised {type(cause).__name__}")
        self.method = method


__all__ = ["BatchCancelledError", "NotBatchableError", "NotSentError"]
