"""The exception types xrerank raises, in one place so every layer can name them without cycles.

Each message says what was expected, what arrived, and how to fix it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xrerank.mining.log_fields import LogError


class ModelLoadError(OSError):
    """A reranker model could not be loaded (not on disk and not downloadable)."""


class PickleWeightsError(ModelLoadError):
    """A model's weights exist only as pickle files and ``allow_pickle_weights`` was not set."""


class LogFormatError(ValueError):
    """A log record that does not follow the schema; ``.error`` says where and why."""

    def __init__(self, error: LogError) -> None:
        super().__init__(str(error))
        self.error = error


class RankingParseError(ValueError):
    """The LLM's answer is not a usable ranking; the message says what was wrong."""
