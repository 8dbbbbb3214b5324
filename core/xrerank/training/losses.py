"""The sentence-transformers loss each config names, for a cross-encoder or a distilled bi-encoder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder, SentenceTransformer

    from xrerank.training.config import TrainingConfig
    from xrerank.training.distill import DistillationConfig


def build_loss(model: CrossEncoder, config: TrainingConfig) -> Any:
    """The sentence-transformers loss module named by ``config.loss``.

    Example:
        >>> from xrerank.training.config import TrainingConfig
        >>> loss = build_loss(model, TrainingConfig(loss="bce", pos_weight=4.0))  # model: a CrossEncoder
        >>> type(loss).__name__
        'BinaryCrossEntropyLoss'
    """
    import torch
    from sentence_transformers.cross_encoder import losses

    if config.loss == "bce":
        weight = torch.tensor(config.pos_weight) if config.pos_weight is not None else None
        return losses.BinaryCrossEntropyLoss(model, pos_weight=weight)
    if config.loss == "infonce":
        return _hard_negative_infonce(model, config.infonce_scale)
    if config.loss == "margin_mse":
        return losses.MarginMSELoss(model)
    if config.loss == "mse":
        return losses.MSELoss(model)
    return losses.LambdaLoss(model, mini_batch_size=config.batch_size * (1 + config.num_negatives))


def _hard_negative_infonce(model: CrossEncoder, scale: float) -> Any:
    """InfoNCE over each query's own positive and hard negatives (no extra in-batch pairs).

    sentence-transformers' MultipleNegativesRankingLoss also scores random in-batch
    negatives, which costs a forward pass per extra column; on a CPU budget the
    mined hard negatives carry the signal, so the in-batch ones are left out.
    """
    from sentence_transformers.cross_encoder.losses import MultipleNegativesRankingLoss
    from torch import nn

    class HardNegativeInfoNCELoss(MultipleNegativesRankingLoss):
        def get_in_batch_negatives(self, anchors: list[str], candidates: list[list[str]]) -> Any:
            return iter(())

    return HardNegativeInfoNCELoss(
        model,
        num_negatives=None,
        scale=scale,  # type: ignore[arg-type]  # annotated int upstream; any float works
        activation_fn=nn.Identity(),
    )


def build_distillation_loss(student: SentenceTransformer, config: DistillationConfig) -> Any:
    """The sentence-transformers loss named by ``config.loss``.

    ``margin_mse`` and ``cosent`` compare texts with the student's own similarity function
    (``model.similarity_pairwise``: cosine for all-MiniLM-L6-v2), the one it retrieves with.

    Example:
        >>> from xrerank.training.distill import DistillationConfig
        >>> loss = build_distillation_loss(encoder, DistillationConfig(loss="cosent"))  # a bi-encoder
        >>> type(loss).__name__
        'CoSENTLoss'
    """
    from sentence_transformers.sentence_transformer import losses

    if config.loss == "margin_mse":
        return losses.MarginMSELoss(student, similarity_fct=student.similarity_pairwise)
    if config.loss == "cosent":
        return losses.CoSENTLoss(student, similarity_fct=student.similarity_pairwise)
    return losses.CosineSimilarityLoss(student)
