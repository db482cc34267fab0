#!/usr/bin/env bash
# The quality run of docs/QUALITY.md, phase by phase, through the product's own commands.
#
#   scripts/quality_run.sh prepare   # CPU: NeurIPS 2025 corpus -> crawl import -> parse (Docling) -> aggregate -> dataset
#   scripts/quality_run.sh gpu       # GPU: train (S2-Attn and full attention), infer base and fine-tuned on the test split
#   scripts/quality_run.sh score     # CPU: the trivial baseline, then evaluate every system against the human reviews
#
# Variables: DATA (data dir, default data), MIRROR (a git mirror of djroytburg/10718peerread), RG (the
# reviewgpt command), SAMPLES (reviews per test paper, default 3), RUN (train run name).
# The test split (8% of the papers, by paper) is never trained or tuned on; val (2%) only gives the eval loss.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${DATA:-data}
RG=${RG:-reviewgpt}
MIRROR=${MIRROR:-/work/.mirror/djroytburg+10718peerread/repo}
SAMPLES=${SAMPLES:-3}
RUN=${RUN:-smollm2-neurips}
V=neurips2025
CONFIG=configs/smollm2-135m-neurips.yaml
common=(--data-dir "$DATA")

prepare() {
    python scripts/neurips_corpus.py --mirror "$MIRROR" --out "$DATA/sources/$V" --with-text-only
    $RG crawl --source peerread --path "$DATA/sources/$V" --venue NeurIPS.cc/2025/Conference "${common[@]}" --version $V
    $RG parse --parser docling "${common[@]}" --version $V
    $RG aggregate-reviews --aggregator structured --review-schema 4-aspect "${common[@]}" --version $V
    $RG build-dataset --tokenizer smollm2-135m-instruct --max-total-tokens 12288 --max-input-tokens 11000 \
        --max-output-tokens 1200 --split 0.90,0.02,0.08 "${common[@]}" --input $V --version $V
}

train() {  # the shipped config (S2-Attn), and the same run with full attention for the eval-loss comparison
    $RG train --config $CONFIG "${common[@]}" --input $V --version "$RUN"
    $RG train --config $CONFIG "${common[@]}" --input $V --version "$RUN-fullattn" --set model.s2attn=false
}

infer() {  # the base model's prompt is cut to fit its native 8,192-token context with the review
    $RG infer --model smollm2-135m-instruct --system smollm2-base --samples "$SAMPLES" \
        --set sampling.max_new_tokens=1200 --set hf.max_prompt_tokens=6900 "${common[@]}" --input $V:test --version base
    $RG infer --run "$RUN" --system smollm2-neurips --samples "$SAMPLES" --set sampling.max_new_tokens=1200 \
        "${common[@]}" --input $V:test --version finetuned
}

score() {  # Liang et al.'s setting offline: each human review as the reference, the embedding judge
    python scripts/generic_review_baseline.py --data-dir "$DATA" --references $V --version generic
    python scripts/frequent_points_baseline.py --data-dir "$DATA" --dataset $V --version baseline-frequent
    $RG evaluate --predictions base,finetuned,generic,baseline-frequent --references $V --reference each-human \
        --humans $V --judge embedding --extractor structured "${common[@]}" --version quality-each-human
    python scripts/quality_table.py --data-dir "$DATA" --evaluation quality-each-human \
        --systems "smollm2-base=base,smollm2-neurips=finetuned,generic=generic,frequent-points=baseline-frequent"
}

case "${1:-}" in
    prepare) prepare ;;
    gpu) train; infer ;;
    train) train ;;
    infer) infer ;;
    score) score ;;
    *) echo "usage: $0 prepare|gpu|train|infer|score" >&2; exit 2 ;;
esac
