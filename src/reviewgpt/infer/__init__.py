"""``infer``: N reviews per paper, from a fine-tuned model (hf) or any OpenAI-compatible server.

Reads a dataset version's split (``--input v1:test``) or a parse version (``--input v1``) and
writes ``data/infer/<version>/predictions.jsonl``, one :class:`~reviewgpt.records.Prediction`
per (paper, sample), appended as each batch finishes; a rerun into the same ``--version``
writes only the samples still missing. See docs/infer.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reviewgpt.config import dump_config
from reviewgpt.infer._inputs import ReviewRequest, load_requests
from reviewgpt.infer._text import clean_review
from reviewgpt.logging import get_logger
from reviewgpt.progress import track
from reviewgpt.prompting import instruction_for
from reviewgpt.records import Prediction, read_run_info
from reviewgpt.stage import Failed, Outcome, Written, run_items
from reviewgpt.store import StageReport, StageRun, iter_jsonl, stage_dir

if TYPE_CHECKING:
    from reviewgpt.infer.config import InferConfig

log = get_logger(__name__)

__all__ = ["predict", "review_paper", "run", "system_name"]


def system_name(cfg: InferConfig) -> str:
    """The ``system`` of each prediction: ``--system``, else the run, the model or openai:<model>."""
    if cfg.system:
        return cfg.system
    if cfg.backend == "openai":
        return f"openai:{cfg.model or cfg.llm.model}" + (":json" if cfg.prompt_style == "json" else "")
    if cfg.run:
        return cfg.run
    return Path(str(cfg.model)).name


def _default_schema(cfg: InferConfig) -> str:
    """``review_schema``, else the train run's, else 4-aspect (for papers that carry no schema of their own)."""
    if cfg.review_schema:
        return cfg.review_schema
    if cfg.run:
        return read_run_info(stage_dir(cfg.data_dir, "train") / cfg.run).schema
    return "4-aspect"


def predict(
    cfg: InferConfig, wanted: Sequence[tuple[ReviewRequest, list[int]]]
) -> Iterator[tuple[str, int, Prediction | Exception]]:
    """Generate the wanted samples: yields ``(forum, sample, prediction or the error)`` as they finish."""
    system = system_name(cfg)
    total = sum(len(samples) for _, samples in wanted)
    schema = _default_schema(cfg)
    if cfg.backend == "openai":
        from reviewgpt.infer._openai import generate_openai

        items = [(request, sample) for request, samples in wanted for sample in samples]
        for (request, sample), answer in generate_openai(cfg, items, schema):
            if isinstance(answer, Exception):
                yield request.forum, sample, answer
                continue
            clean = clean_review(answer.text, request.schema or schema)
            yield request.forum, sample, Prediction(
                forum=request.forum, sample=sample, system=system, text=clean.text,
                prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
                seconds=answer.seconds, unparsable=clean.unparsable, n_points=clean.n_points,
                empty_aspects=clean.empty_aspects, backend="openai",
            )
        return

    from reviewgpt.infer._hf import HFBackend, PreparedPrompt

    backend = HFBackend(cfg)
    prompts = []
    for request, samples in wanted:
        ids, truncated = backend.encode(request)
        if truncated:
            log.info("%s: prompt cut to %d tokens (max_prompt_tokens)", request.forum, len(ids))
        prompts.append(PreparedPrompt(request, ids, truncated, samples))
    outputs = backend.generate(prompts)
    for prompt, sample, out in track(outputs, total=total, description="reviews", per_hour="reviews"):
        clean = clean_review(backend.decode(out.token_ids), prompt.request.schema or schema)
        yield prompt.request.forum, sample, Prediction(
            forum=prompt.request.forum, sample=sample, system=system, text=clean.text,
            prompt_tokens=out.prompt_tokens, completion_tokens=len(out.token_ids), seconds=round(out.seconds, 3),
            unparsable=clean.unparsable, n_points=clean.n_points, empty_aspects=clean.empty_aspects,
            prompt_truncated=prompt.truncated, finished=out.finished, backend=f"hf:{cfg.hf.engine}",
        )


def run(cfg: InferConfig) -> StageReport:
    """Write ``cfg.samples`` reviews for every paper of the input (see the module doc)."""
    ref, requests = load_requests(cfg.data_dir, cfg.input, _default_schema(cfg))
    if cfg.limit is not None:
        requests = requests[: cfg.limit]
    with StageRun(
        cfg.data_dir, "infer", cfg.version, params=dump_config(cfg), inputs=[ref],
        max_failures=cfg.failure_limit,
    ) as run:
        done = run.done_ids()
        wanted = []
        for request in requests:
            samples = [s for s in range(cfg.samples) if f"{request.forum}:{s}" not in done]
            if samples:
                wanted.append((request, samples))
            else:
                run.skip(request.forum, "already done")
        run.extra.update(system=system_name(cfg), backend=cfg.backend, papers=len(requests))
        # no bar here: predict draws its own, per sample
        run_items(run, predict(cfg, wanted) if wanted else (), _outcome)
        records = run.file(run.records)
        # over the whole version, earlier attempts included
        run.extra["unparsable"] = sum(bool(r.get("unparsable")) for r in iter_jsonl(records)) if records.exists() else 0
    return run.report()


def _outcome(generated: tuple[str, int, Prediction | Exception]) -> Outcome:
    forum, sample, result = generated
    if isinstance(result, Exception):
        return Failed(f"{forum}:{sample}", type(result).__name__, str(result)[:500])
    if result.unparsable:
        log.warning("%s sample %d: no aspect header could be parsed (kept, flagged unparsable)", forum, sample)
    return Written(result)


def review_paper(cfg: InferConfig, forum: str, paper_text: str) -> list[Prediction]:
    """Write ``cfg.samples`` reviews of one paper's text (the parse format); nothing is written to disk.

    Raises:
        Exception: what the backend raised for a sample (a model that cannot load, a server error).
    """
    schema = _default_schema(cfg)
    request = ReviewRequest(forum, instruction_for(schema), paper_text, schema)
    predictions = []
    for _forum, _sample, result in predict(cfg, [(request, list(range(cfg.samples)))]):
        if isinstance(result, Exception):
            raise result
        predictions.append(result)
    return sorted(predictions, key=lambda p: p.sample)
