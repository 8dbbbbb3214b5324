"""Run by tests/test_training_distributed.py under torchrun: a few DDP steps on CPU (gloo)."""

from __future__ import annotations

import json
import os
import sys

from xrerank.examples import TrainingExample
from xrerank.training import TrainingConfig, train


def main() -> None:
    model_dir, output_dir = sys.argv[1], sys.argv[2]
    examples = [
        TrainingExample(
            f"query {i} about topic {i % 3}",
            [f"passage {i} answers topic {i % 3}"],
            [f"unrelated text {i} number {j}" for j in range(3)],
        )
        for i in range(16)
    ]
    config = TrainingConfig(
        base_model=model_dir,
        loss="infonce",
        num_negatives=2,
        batch_size=2,
        max_steps=3,
        max_length=32,
        device="cpu",
        output_dir=output_dir,
        overwrite=True,
        show_progress=False,
        logging_steps=1,
    )
    result = train(examples, config)
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    with open(os.path.join(os.path.dirname(output_dir), f"rank{rank}.json"), "w", encoding="utf-8") as handle:
        json.dump({"rank": rank, "world": world, "steps": result.steps}, handle)


if __name__ == "__main__":
    main()
