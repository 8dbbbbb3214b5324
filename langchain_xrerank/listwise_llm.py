"""A LangChain chat model (or LLM, or chain) as the listwise stage of :class:`xrerank.serving.Funnel`."""

from __future__ import annotations

from typing import Any

from xrerank._optional import require

try:
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable
except ImportError:  # pragma: no cover - depends on what is installed
    require("langchain_core", purpose="langchain_xrerank")  # raises with the pip install hint
    raise

_NAME = "LangChainListwiseLLM"


class LangChainListwiseLLM:
    """Wraps a LangChain chat model so that :class:`xrerank.serving.Funnel` can call it with a prompt.

    ``__call__`` sends the prompt through ``invoke`` and returns the reply's text; ``acall`` does
    the same through ``ainvoke`` (used by :meth:`xrerank.serving.Funnel.arun`). Parsing and validating
    the ranking happen in the funnel.

    Args:
        model: A chat model (``ChatOpenAI``, ``ChatOllama``...), a string LLM, or any ``Runnable``
            that takes a string and returns a message or a string. Never modified.

    Example:
        >>> from langchain_core.language_models import FakeListChatModel
        >>> llm = LangChainListwiseLLM(FakeListChatModel(responses=['{"ranking": [2, 1]}']))
        >>> llm("Rank these ...")
        '{"ranking": [2, 1]}'
    """

    def __init__(self, model: Runnable[Any, Any]) -> None:
        if not isinstance(model, Runnable):
            raise TypeError(
                f"{_NAME} got {type(model).__name__}; expected a LangChain chat model or Runnable."
            )
        self.model = model

    def __repr__(self) -> str:
        return f"{_NAME}({type(self.model).__name__})"

    def __call__(self, prompt: str) -> str:
        """The model's answer to ``prompt`` as text."""
        return _text(self.model.invoke(prompt))

    async def acall(self, prompt: str) -> str:
        """Async :meth:`__call__` through the model's ``ainvoke``."""
        return _text(await self.model.ainvoke(prompt))


def _text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, BaseMessage):
        return str(output.text)  # the message's text content blocks, joined
    raise TypeError(
        f"{_NAME}: the model returned {type(output).__name__}; expected a message or a string. "
        "Wrap a chain so that it ends in a chat model or a StrOutputParser."
    )
