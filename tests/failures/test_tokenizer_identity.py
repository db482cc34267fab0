"""Two tokenizers of one vocabulary size and chat template are told apart, by name, in dataset and train."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewgpt.store import latest_version

from .conftest import error_lines, run_cli


@pytest.fixture
def two_tokenizers(tmp_path: Path) -> tuple[Path, Path]:
    """Byte-level BPEs of 400 tokens each, trained on two different corpora."""
    from reviewgpt.testing.sample_venue import sample_corpus
    from reviewgpt.testing.tiny import train_tokenizer

    a = train_tokenizer(sample_corpus(6, seed=0), tmp_path / "tok-a", vocab_size=400)
    b = train_tokenizer([text[::-1] for text in sample_corpus(6, seed=0)], tmp_path / "tok-b", vocab_size=400)
    assert len(a) == len(b) and a.chat_template == b.chat_template  # only the merges differ
    assert a.get_vocab() != b.get_vocab()
    return tmp_path / "tok-a", tmp_path / "tok-b"


def test_resuming_a_dataset_with_another_tokenizer_of_the_same_size_is_refused(dataset_inputs, two_tokenizers) -> None:
    data, _ = dataset_inputs
    tok_a, tok_b = two_tokenizers
    first = run_cli("build-dataset", "--data-dir", str(data), "--tokenizer", str(tok_a), "--version", "d1",
                    "--workers", "1")
    assert first.returncode == 0, first.stderr
    again = run_cli("build-dataset", "--data-dir", str(data), "--tokenizer", str(tok_b), "--version", "d1",
                    "--workers", "1")
    assert again.returncode == 2, again.stdout + again.stderr
    [line] = error_lines(again.stderr)
    assert str(tok_a) in line and str(tok_b) in line and "vocabulary and merges" in line


def test_train_refuses_a_model_whose_tokenizer_differs_only_in_merges(dataset_inputs, two_tokenizers, tmp_path) -> None:
    pytest.importorskip("peft")
    from transformers import AutoTokenizer

    from reviewgpt.testing.tiny import make_tiny_model

    data, _ = dataset_inputs
    tok_a, tok_b = two_tokenizers
    built = run_cli("build-dataset", "--data-dir", str(data), "--tokenizer", str(tok_a), "--version", "d1",
                    "--workers", "1")
    assert built.returncode == 0, built.stderr
    model = make_tiny_model(tmp_path / "model-b", AutoTokenizer.from_pretrained(tok_b))
    config = tmp_path / "train.yaml"
    config.write_text(
        f"model:\n  name_or_path: {model}\n  dtype: float32\n  load_in_4bit: false\n  s2attn: false\n"
        "training:\n  max_seq_len: 2048\n  max_steps: 1\n  gradient_checkpointing: false\n  optim: adamw_torch\n"
    )
    result = run_cli("train", "--config", str(config), "--data-dir", str(data), "--version", "t1")
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = error_lines(result.stderr)
    assert str(tok_a) in line and str(model) in line and "vocabulary and merges" in line
    assert latest_version(data, "train") is None
