"""The one tokenization of an example: prompt through the chat template, review + EOS as the target."""

from __future__ import annotations

from pathlib import Path

from reviewgpt.prompting import encode_example, prompt_text
from reviewgpt.testing.tiny import train_tokenizer


def test_encode_example_masks_prompt_and_ends_with_eos(tmp_path: Path):
    tok = train_tokenizer(["the paper proposes a method", "[Significance and novelty] <a> b"] * 20, tmp_path / "tok", 300)
    text = prompt_text(tok, "Review this paper.", "[TITLE]\nA paper")
    assert text.startswith("<s>[INST] Review this paper.") and text.endswith("[/INST]")
    ex = encode_example(tok, "Review this paper.", "[TITLE]\nA paper", "[Significance and novelty]\n<a> b")
    assert ex.input_ids[: len(ex.prompt_ids)] == ex.prompt_ids
    assert ex.input_ids[-1] == tok.eos_token_id
    assert ex.labels[: len(ex.prompt_ids)] == [-100] * len(ex.prompt_ids)
    assert ex.labels[len(ex.prompt_ids):] == ex.output_ids
    assert tok.decode(ex.output_ids, skip_special_tokens=True) == "[Significance and novelty]\n<a> b"
    assert ex.prompt_ids[0] == tok.bos_token_id and ex.prompt_ids.count(tok.bos_token_id) == 1


def test_encode_text_gives_the_tokenizers_own_ids(tmp_path: Path):
    """The ids-only fast path must count exactly as ``tokenizer(text)``: special tokens, unicode, spacing."""
    from reviewgpt.prompting import encode_text

    corpus = ["the paper proposes a method", "Résumé: naïve Bayes — 3.5% gain", "[Significance and novelty] <a> b"]
    tok = train_tokenizer(corpus * 20, tmp_path / "tok", 300)
    texts = [
        prompt_text(tok, "Review this paper.", "[TITLE]\nA naïve paper\n\n[CONTENT]\n  indented  text\t tab"),
        "</s> inside the text <s>, emoji 🙂 and CJK 漢字",
        "",
    ]
    for text in texts:
        assert encode_text(tok, text) == tok(text, add_special_tokens=False)["input_ids"]
