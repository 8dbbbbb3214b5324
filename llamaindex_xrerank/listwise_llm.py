"""A LlamaIndex LLM as the listwise stage of :class:`xrerank.serving.Funnel`."""

from __future__ import annotations

from xrerank._optional import require

try:
    from llama_index.core.base.llms.base import BaseLLM
except ImportError:  # pragma: no cover - depends on what is installed
    require("llama_index.core", purpose="llamaindex_xrerank")  # raises with the pip install hint
    raise

_NAME = "LlamaIndexListwiseLLM"


class LlamaIndexListwiseLLM:
    """Wraps a LlamaIndex LLM so that :class:`xrerank.serving.Funnel` can call it with a prompt.

    ``__call__`` returns ``llm.complete(prompt).text``; ``acall`` awaits ``llm.acomplete`` (used by
    :meth:`xrerank.serving.Funnel.arun`). Chat-only models work too: LlamaIndex maps ``complete`` onto
    ``chat``. Parsing and validating the ranking happen in the funnel.

    Args:
        llm: Any LlamaIndex LLM (``OpenAI``, ``Ollama``, ``MockLLM``...). Never modified.

    Example:
        >>> from llama_index.core.llms import MockLLM
        >>> LlamaIndexListwiseLLM(MockLLM())("echoed back")
        'echoed back'
    """

    def __init__(self, llm: BaseLLM) -> None:
        if not isinstance(llm, BaseLLM):
            raise TypeError(f"{_NAME} got {type(llm).__name__}; expected a LlamaIndex LLM.")
        self.llm = llm

    def __repr__(self) -> str:
        return f"{_NAME}({type(self.llm).__name__})"

    def __call__(self, prompt: str) -> str:
        """The LLM's completion of ``prompt``."""
        return self.llm.complete(prompt).text

    async def acall(self, prompt: str) -> str:
        """Async :meth:`__call__` through ``acomplete``."""
        return (await self.llm.acomplete(prompt)).text
