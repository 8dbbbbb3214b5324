"""How many candidates each stage of a :class:`~xrerank.serving.funnel.Funnel` keeps, and its stage-3 prompt.

Example:
    >>> FunnelConfig(stage1_k=50, stage2_k=10, stage3_k=5).stage3_k
    5
"""

from __future__ import annotations

from dataclasses import dataclass

from xrerank.serving.listwise_prompt import DEFAULT_LISTWISE_PROMPT
from xrerank.validation import check_int


@dataclass(frozen=True, slots=True)
class FunnelConfig:
    """How many candidates each stage keeps, and how stage 3 is prompted.

    Attributes:
        stage1_k: Candidates the retriever returns (recall budget of the cross-encoder).
        stage2_k: Candidates the cross-encoder keeps; these are what the LLM sees.
        stage3_k: Candidates kept after the LLM; None keeps all ``stage2_k`` in the LLM's order.
            Also applies when the funnel falls back to the stage-2 order, or runs without an LLM.
        llm_max_chars: Each candidate's text is cut to this many characters in the prompt.
        prompt_template: Stage-3 prompt with ``{query}``, ``{candidates}`` and ``{count}`` fields.
            Keep the instruction to answer ``{"ranking": [...]}``; the parser expects that key.
        raise_llm_errors: Re-raise exceptions thrown by the LLM callable (network, auth) instead
            of falling back to the stage-2 order. Malformed answers always fall back.
    """

    stage1_k: int = 50
    stage2_k: int = 10
    stage3_k: int | None = None
    llm_max_chars: int = 800
    prompt_template: str = DEFAULT_LISTWISE_PROMPT
    raise_llm_errors: bool = False

    def __post_init__(self) -> None:
        for name in ("stage1_k", "stage2_k", "llm_max_chars"):
            check_int(getattr(self, name), caller="FunnelConfig", name=name)
        check_int(self.stage3_k, caller="FunnelConfig", name="stage3_k", optional=True)
        if self.stage2_k > self.stage1_k:
            raise ValueError(
                f"FunnelConfig got stage2_k={self.stage2_k} > stage1_k={self.stage1_k}; the cross-encoder "
                "cannot keep more candidates than the retriever returns. Lower stage2_k or raise stage1_k."
            )
        if self.stage3_k is not None and self.stage3_k > self.stage2_k:
            raise ValueError(
                f"FunnelConfig got stage3_k={self.stage3_k} > stage2_k={self.stage2_k}; the LLM only sees "
                "stage2_k candidates. Lower stage3_k or raise stage2_k."
            )
        for field_name in ("{query}", "{candidates}"):
            if field_name not in self.prompt_template:
                raise ValueError(
                    f"FunnelConfig.prompt_template has no {field_name} field; the prompt must show the "
                    "query and the candidates."
                )
