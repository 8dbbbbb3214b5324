"""Fine-tuning a monoT5-style reranker: the answer words ``true``/``false`` as labels.

monoT5 is trained as it scores: the prompt ``Query: q Document: d Relevant:`` goes in and the
first decoder step learns to answer ``true`` for a positive and ``false`` for a negative
(cross-entropy over the vocabulary at that step). The inputs come from
:meth:`xrerank.scoring.seq2seq.Seq2SeqReranker.prompt_ids`, so training and serving read the
same tokens. :func:`xrerank.finetune` comes here when its start model is a sequence-to-sequence
checkpoint (:func:`is_seq2seq_checkpoint`); the pairs are those of ``loss="bce"``: every positive
and up to ``num_negatives`` negatives of each example.

The saved directory is a plain transformers model (``AutoModelForSeq2SeqLM.from_pretrained`` loads
it) with its tokenizer and a serving recipe (:mod:`xrerank.models.serving_recipe`) that makes
``Seq2SeqReranker(path)`` serve it at the trained ``max_length``.

Example:
    Training takes a while, so the call is shown rather than run::

        path = finetune(examples, TrainingConfig(base_model="./monot5", loss="bce", output_dir="out"))
        Seq2SeqReranker(path).rank("my query", passages)
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from xrerank._optional import require
from xrerank.examples import TrainingExample
from xrerank.models.serving_recipe import ServingRecipe, write_recipe
from xrerank.scoring.seq2seq import Seq2SeqModel, Seq2SeqReranker, load_seq2seq_model
from xrerank.training.checkpoints import refuse_existing_output, save_model_atomically
from xrerank.training.config import TrainingConfig
from xrerank.training.rows import check_examples, to_bce_pairs, trim_negatives
from xrerank.training.start_model import resolve_base_model
from xrerank.training.trainer import TrainResult, _training_arguments

logger = logging.getLogger(__name__)

INFO_FILE = "xrerank_training.json"


def is_seq2seq_checkpoint(name_or_path: str) -> bool:
    """Whether a local model directory holds an encoder-decoder model (T5 and the like).

    Names that are not local directories are not inspected (False): pass a local copy of a
    monoT5 model to fine-tune it.

    Example:
        >>> is_seq2seq_checkpoint("cross-encoder/ms-marco-MiniLM-L6-v2")
        False
    """
    config_file = Path(resolve_base_model(name_or_path)) / "config.json"
    if not config_file.is_file():
        return False
    config = json.loads(config_file.read_text(encoding="utf-8"))
    architectures = config.get("architectures") or []
    return bool(config.get("is_encoder_decoder")) or any(
        arch.endswith("ForConditionalGeneration") for arch in architectures
    )


def train_seq2seq(
    examples: Sequence[TrainingExample],
    config: TrainingConfig,
    *,
    true_token: str = "true",
    false_token: str = "false",
    callbacks: list[Any] | None = None,
    before_save: Callable[[Seq2SeqModel, Path], None] | None = None,
) -> TrainResult:
    """Fine-tune the seq2seq model ``config.base_model`` to answer ``true_token``/``false_token``.

    Args:
        examples: Training queries with positives and negatives.
        config: ``loss`` must be ``"bce"`` (the pointwise pairs); ``long_passages`` must be
            ``"truncate"``. Steps, batch, learning rate, ``max_length``, output and device apply
            as for a cross-encoder.
        true_token, false_token: The answer words, one token each (as the reranker's).
        callbacks: Extra ``transformers.TrainerCallback`` objects.
        before_save: Called as ``before_save(model, staging_dir)`` before the directory is renamed
            into place (add files there).

    Raises:
        ValueError: A loss or long-passage mode that does not apply to seq2seq training.

    Example:
        Shown rather than run::

            result = train_seq2seq(examples, TrainingConfig(base_model="./monot5", loss="bce"))
    """
    _check_config(config)
    require("accelerate", purpose="Fine-tuning a reranker")
    from transformers import DataCollatorForSeq2Seq, Trainer

    refuse_existing_output(config.output_dir, overwrite=config.overwrite)
    trimmed = [trim_negatives(e, config.num_negatives) for e in check_examples(examples, caller="finetune()")]
    rows = to_bce_pairs(trimmed)
    model = load_seq2seq_model(
        resolve_base_model(config.base_model),
        device=config.device,
        trust_remote_code=False,
        local_files_only=False,
        allow_pickle_weights=config.allow_pickle_weights,
    )
    # The reranker that will serve the model builds the inputs, so both read the same tokens.
    scorer = Seq2SeqReranker(
        model,
        true_token=true_token,
        false_token=false_token,
        max_length=config.max_length,
        cache_size=0,
        micro_batching=None,
    )
    true_id, false_id = scorer.answer_ids
    prompts = scorer.prompt_ids([(row["query"], row["passage"]) for row in rows])
    dataset = [
        {
            "input_ids": ids,
            "attention_mask": [1] * len(ids),
            "labels": [true_id if row["label"] else false_id],
        }
        for ids, row in zip(prompts, rows, strict=True)
    ]
    arguments = _training_arguments(config, fresh_head=False, evaluate=False)
    trainer = Trainer(
        model=model.model,
        args=arguments,
        train_dataset=dataset,
        data_collator=DataCollatorForSeq2Seq(model.tokenizer, model=model.model),
        callbacks=callbacks,
    )
    logger.info("Training the seq2seq reranker %s on %d pairs.", config.base_model, len(rows))
    started = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - started
    model.model.eval()

    def finish(staging: Path) -> None:
        write_recipe(staging, ServingRecipe(max_length=config.max_length, activation="sigmoid"))
        info = {"kind": "seq2seq", "true_token": true_token, "false_token": false_token, **config.to_dict()}
        (staging / INFO_FILE).write_text(json.dumps({"config": info}, indent=2), encoding="utf-8")
        if before_save is not None:
            before_save(model, staging)

    if trainer.is_world_process_zero():
        save_model_atomically(model, config.output_dir, overwrite=config.overwrite, before_rename=finish)  # type: ignore[arg-type]
    return TrainResult(
        model_path=Path(config.output_dir),
        train_rows=len(rows),
        steps=int(trainer.state.global_step),
        seconds=float(seconds),
        final_loss=float(output.training_loss) if output.training_loss is not None else None,
        fresh_head=False,
        log_history=list(trainer.state.log_history),
    )


def _check_config(config: TrainingConfig) -> None:
    if config.loss != "bce":
        raise ValueError(
            f"Fine-tuning the seq2seq model {config.base_model!r} trains its answer words 'true'/'false' "
            f"on (query, passage) pairs, which is loss='bce'; got loss={config.loss!r}. Pass "
            "TrainingConfig(loss='bce', ...)."
        )
    if config.long_passages != "truncate":
        raise ValueError(
            f"Fine-tuning the seq2seq model {config.base_model!r} supports long_passages='truncate' only; "
            f"got {config.long_passages!r}. Train with 'truncate' and serve with "
            "Seq2SeqReranker(path, long_passages='max_window')."
        )
