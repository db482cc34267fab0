"""A tiny train run (random Llama + random LoRA adapter + run_info.json) and inputs for infer tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reviewgpt.records import InstructionExample, ParsedPaper
from reviewgpt.store import StageRun

INSTRUCTION = "Write a review of this paper."
PAPER = "[TITLE]\nA study of {i}\n\n[ABSTRACT]\nWe study topic {i} with method {j} and find results. " 
REVIEW = (
    "[Significance and novelty]\n<Novel idea> The paper about {i} is new.\n\n"
    "[Potential reasons for acceptance]\n<Clear> Method {j} is clear.\n\n"
    "[Potential reasons for rejection]\n<No related terms>\n\n"
    "[Suggestions for improvement]\n<More data> Add datasets."
)
RUN = "tiny-run"


def paper_text(i: int, repeat: int = 1) -> str:
    return PAPER.format(i=i, j=i % 3) * repeat


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory) -> Path:
    from reviewgpt.testing.tiny import train_tokenizer

    out = tmp_path_factory.mktemp("tok")
    texts = [INSTRUCTION + paper_text(i) + REVIEW.format(i=i, j=i % 3) for i in range(20)]
    train_tokenizer(texts * 5, out, vocab_size=400)
    return out


@pytest.fixture(scope="session")
def base_model_dir(tmp_path_factory, tokenizer_dir) -> Path:
    from transformers import AutoTokenizer

    from reviewgpt.testing.tiny import make_tiny_model

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    return make_tiny_model(tmp_path_factory.mktemp("llama"), tokenizer, model_type="llama", max_position_embeddings=512)


@pytest.fixture(scope="session")
def train_run_dir(tmp_path_factory, base_model_dir, tokenizer_dir) -> Path:
    """``train/<run>/`` as train writes it: a LoRA adapter (random B, so it changes outputs) + run_info.json."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run_dir = tmp_path_factory.mktemp("runs") / RUN
    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(model, lora)
    peft_model.save_pretrained(run_dir / "adapter")
    AutoTokenizer.from_pretrained(tokenizer_dir).save_pretrained(run_dir / "adapter")
    (run_dir / "run_info.json").write_text(json.dumps({
        "base_model": str(base_model_dir), "adapter_dir": "adapter",
        "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "max_seq_len": 400, "schema": "4-aspect",
        "dtype": "float32", "load_in_4bit": False, "dataset": "data/dataset/v1",
    }))
    return run_dir


@pytest.fixture
def run_data(data_dir: Path, train_run_dir: Path) -> Path:
    """A data dir with the train run and a dataset version ``v1`` whose test split has 3 papers."""
    shutil.copytree(train_run_dir, data_dir / "train" / RUN)
    with StageRun(data_dir, "dataset", "v1", records="test.jsonl", id_key="id") as run:
        for i in range(3):
            run.append(InstructionExample(
                id=f"paper{i}", instruction=INSTRUCTION, input=paper_text(i, repeat=i + 1),
                output=REVIEW.format(i=i, j=i % 3), input_tokens=0, output_tokens=0,
            ))
    return data_dir


@pytest.fixture
def parse_data(data_dir: Path) -> Path:
    """A parse version ``p1`` with 2 papers."""
    with StageRun(data_dir, "parse", "p1") as run:
        for i in range(2):
            run.append(ParsedPaper(forum=f"forum{i}", parser="pymupdf", title=f"A study of {i}", abstract="", text=paper_text(i)))
    return data_dir
