"""Tiny models (random weights, test-trained tokenizer) and a dataset version for train tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewgpt.artifacts import DATASET
from reviewgpt.dataset.config import DatasetConfig
from reviewgpt.records.dataset import InstructionExample
from reviewgpt.store import StageRun

#: a dataset manifest's params as build-dataset writes them (train reads the schema and budgets there)
DATASET_PARAMS = DatasetConfig().model_dump(mode="json")

INSTRUCTION = "Write a review of this paper."
PAPER = "[TITLE]\nA study of {i}\n\n[ABSTRACT]\nWe study topic {i} with method {j} and find results."
REVIEW = (
    "[Significance and novelty]\n<Novel idea> The paper about {i} is new.\n\n"
    "[Potential reasons for acceptance]\n<Clear> Method {j} is clear.\n\n"
    "[Potential reasons for rejection]\n<Small> Experiments are small.\n\n"
    "[Suggestions for improvement]\n<More data> Add datasets."
)


def example(i: int) -> InstructionExample:
    return InstructionExample(
        id=f"paper{i}", instruction=INSTRUCTION, input=PAPER.format(i=i, j=i % 3),
        output=REVIEW.format(i=i, j=i % 3), input_tokens=0, output_tokens=0,
    )


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory) -> Path:
    from reviewgpt.testing.tiny import train_tokenizer

    out = tmp_path_factory.mktemp("tok")
    texts = [e.instruction + e.input + e.output for e in map(example, range(20))]
    train_tokenizer(texts * 5, out, vocab_size=400)
    return out


def _tiny(tmp_path_factory, tokenizer_dir: Path, model_type: str) -> Path:
    from transformers import AutoTokenizer

    from reviewgpt.testing.tiny import make_tiny_model

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    return make_tiny_model(tmp_path_factory.mktemp(model_type), tokenizer, model_type=model_type,
                           max_position_embeddings=128)


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory, tiny_tokenizer_dir) -> Path:
    return _tiny(tmp_path_factory, tiny_tokenizer_dir, "llama")


@pytest.fixture(scope="session")
def tiny_mistral(tmp_path_factory, tiny_tokenizer_dir) -> Path:
    return _tiny(tmp_path_factory, tiny_tokenizer_dir, "mistral")


@pytest.fixture
def dataset(data_dir: Path) -> Path:
    """A finished dataset version ``v1`` with 8 train and 2 val examples."""
    with StageRun(data_dir, "dataset", "v1", params=DATASET_PARAMS) as run:
        for i in range(8):
            run.append(example(i))
        for i in range(8, 10):
            run.append(example(i), DATASET.val)
    return data_dir


@pytest.fixture
def make_config():
    """``make_config(data_dir, model, version, resume=False, **training)`` -> a small TrainConfig."""
    from reviewgpt.train.config import TrainConfig

    def make(data_dir: Path, model: Path, version: str | None = None, resume: bool = False, **training):
        return TrainConfig.model_validate(
            {**train_overrides(model, **training), "data_dir": data_dir, "version": version, "resume": resume}
        )

    return make


def train_overrides(model_path: Path, **training) -> dict:
    """A small config as a dict: tiny model, 4-bit, S2-Attn, RoPE x2, a few CPU steps."""
    return {
        "model": {"name_or_path": str(model_path), "load_in_4bit": True, "s2attn": True,
                  "rope_scaling": {"rope_type": "linear", "factor": 2.0}},
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0,
                 "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]},
        "training": {"max_seq_len": 256, "max_steps": 6, "grad_accum": 2, "lr": 1e-2, "warmup_steps": 0,
                     "optim": "adamw_torch", "save_steps": 3, "loss_chunk_size": 16, **training},
    }
