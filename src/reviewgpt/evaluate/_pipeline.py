"""The evaluate stage: judge every generated review against its human reference, then summarise.

One unit is one review A (a system's sample for a paper, or one human review) against one
reference B: the paper's aggregated human review (``reference: aggregated``), or one human
review of the paper (``reference: each-human``, and always for the human-human ceiling). Against
a human review, both sides are criticisms: the human review's points as the extractor reads them,
and a generated review's rejection and suggestion points. A unit becomes one
or more :class:`Comparison` s (one per aspect when matching within aspects), the judge matches
them, and the unit's :class:`MatchResult` is appended to ``matches.jsonl`` as soon as its last
comparison is back, so a killed run loses nothing judged. The summary and the report are computed
from the whole ``matches.jsonl`` at the end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from reviewgpt.artifacts import CRAWL, DATASET, EVALUATE, INFER, JSONL
from reviewgpt.config import dump_config
from reviewgpt.errors import ConfigError, ReviewGPTError, StoreError
from reviewgpt.evaluate.config import EvaluateConfig
from reviewgpt.evaluate.extract import HumanReview, PointExtractor, StructuredPointExtractor, review_text
from reviewgpt.evaluate.judges.base import Comparison, Judge
from reviewgpt.evaluate.metrics import (
    HUMAN_SYSTEM,
    ReviewShape,
    hits_and_rate,
    pairwise,
    paper_scores,
    review_shape,
    shape_summary,
    system_summary,
)
from reviewgpt.evaluate.points import (
    KeyPoint,
    as_criticisms,
    criticism_aspects,
    free_text_points,
    select_aspects,
    text_points,
)
from reviewgpt.logging import get_logger
from reviewgpt.records.crawl import CrawledPaper
from reviewgpt.records.dataset import InstructionExample
from reviewgpt.records.evaluate import HumanPoints, MatchResult, PointMatch
from reviewgpt.records.infer import Prediction
from reviewgpt.reviewtext import parse_review
from reviewgpt.stage import Failed, Outcome, Written, run_items, write_outcome
from reviewgpt.store import InputRef, StageReport, StageRun, read_manifest, read_records, resolve_input

if TYPE_CHECKING:
    from reviewgpt.llm import LLMClient

log = get_logger(__name__)

MATCHES = EVALUATE.records.name
HUMAN_POINTS = EVALUATE.human_points.name
#: The reference of system outputs: the paper's aggregated human review from the dataset.
AGGREGATE_REFERENCE = "human"
#: Parameters that change what a match record means; a version cannot mix two settings.
_JUDGING_PARAMS = (
    "judge", "threshold", "aspects_resolved", "within_aspect", "references_version", "split", "reference",
    "extractor_resolved",
)


@dataclass
class _Unit:
    """One review A against one reference B, waiting for its comparisons to be judged."""

    forum: str
    system: str
    sample: int
    reference: str
    points_a: list[KeyPoint]
    points_b: list[KeyPoint]
    matches: list[PointMatch] = field(default_factory=list)
    pending: int = 0

    @property
    def key(self) -> str:
        # the same joining as StageRun.done_ids with id_key "system,forum,sample,reference"
        return f"{self.system}:{self.forum}:{self.sample}:{self.reference}"

    def comparisons(self, within_aspect: bool) -> list[tuple[Comparison, list[int], list[int]]]:
        """The comparisons to judge, each with the 0-based positions of its points in A and B.

        Aspects where A or B has no point need no judging: they can hold no hit.
        """
        groups = (
            list(dict.fromkeys(p.aspect for p in self.points_a)) if within_aspect else [None]
        )
        out = []
        for aspect in groups:
            index_a = [i for i, p in enumerate(self.points_a) if aspect is None or p.aspect == aspect]
            index_b = [i for i, p in enumerate(self.points_b) if aspect is None or p.aspect == aspect]
            if not index_a or not index_b:
                continue
            comparison = Comparison(
                key=f"{self.key}|{aspect or '*'}",
                points_a=tuple(self.points_a[i].text for i in index_a),
                points_b=tuple(self.points_b[i].text for i in index_b),
            )
            out.append((comparison, index_a, index_b))
        return out

    def result(self, threshold: float, judge: str) -> MatchResult:
        matches = sorted(self.matches, key=lambda m: (m.a, m.b))
        hits, rate = hits_and_rate(matches, len(self.points_a), threshold)
        return MatchResult(
            forum=self.forum,
            system=self.system,
            sample=self.sample,
            reference=self.reference,
            points_a=[p.text for p in self.points_a],
            points_b=[p.text for p in self.points_b],
            aspects_a=[p.aspect for p in self.points_a],
            aspects_b=[p.aspect for p in self.points_b],
            matches=matches,
            hits=hits,
            hit_rate=rate,
            judge=judge,
        )


@dataclass
class _Inputs:
    """What one evaluation reads: references, the systems' predictions and, optionally, human reviews."""

    references_ref: InputRef
    references: dict[str, InstructionExample]
    infer_refs: list[InputRef]
    predictions: dict[str, list[Prediction]]
    humans_ref: InputRef | None


def run(cfg: EvaluateConfig, *, judge: Judge | None = None, extractor: PointExtractor | None = None) -> StageReport:
    """Judge, summarise and report; see :func:`reviewgpt.evaluate.run`."""
    src = _read_inputs(cfg, extractor)
    schemas = {ex.schema for ex in src.references.values()}
    aspects = select_aspects(cfg.aspects, schemas)
    forums = _papers(src.references, src.predictions, cfg.limit)
    cfg, judge, extractor, client = _judge_and_extractor(cfg, judge, extractor, src.humans_ref)

    params = dump_config(cfg) | {
        "judge": judge.name, "aspects_resolved": aspects, "references_version": src.references_ref.version,
        "extractor_resolved": extractor.name if extractor is not None else None,
    }
    _refuse_mixed_settings(cfg, params, src.references_ref)
    inputs = [src.references_ref, *src.infer_refs] + ([src.humans_ref] if src.humans_ref else [])
    with StageRun(
        cfg.data_dir, "evaluate", cfg.version, params=params, inputs=inputs,
        records=MATCHES, id_key="system,forum,sample,reference", max_failures=cfg.failure_limit,
    ) as stage:
        done = stage.done_ids()
        if client is not None:
            client.preflight()  # no key or a dead server: one line now, not one error per review
        units, shapes, reference_shapes = _plan_units(cfg, stage, src, forums, aspects, extractor, done)
        log.info("%d reviews to judge with %s (%d already judged)", len(units), judge.name, len(done))
        _judge_units(stage, judge, units, cfg)

        matches = stage.file(MATCHES)
        results = list(read_records(matches, MatchResult)) if matches.exists() else []
        if client is not None:
            stage.extra["llm"] = client.stats
        if not results:  # the run fails on leaving the block; a report of 0.00 hit rates would look like a result
            return stage.report()
        summary = summarize(results, shapes, reference_shapes, cfg, judge.name, aspects)
        _write_summary(cfg, stage, src, summary, results, shapes, reference_shapes)
    return stage.report()


def _read_inputs(cfg: EvaluateConfig, extractor: PointExtractor | None) -> _Inputs:
    """Resolve and read the references, the predictions and (with --humans or each-human) the crawl."""
    references_ref = _resolve(cfg, "dataset", cfg.references, "--references", DATASET.split(cfg.split).name)
    references = {ex.id: ex for ex in read_records(references_ref.file(DATASET.split(cfg.split)), InstructionExample)}
    infer_refs = [_resolve(cfg, "infer", version, "--predictions", INFER.records.name)
                  for version in (cfg.predictions or [None])]
    humans_ref = None
    humans = cfg.humans or ("latest" if cfg.reference == "each-human" else None)
    if humans:
        humans_ref = _resolve(cfg, "crawl", None if humans.lower() == "latest" else humans, "--humans")
        if extractor is None and cfg.resolved_extractor() == "openai" and not cfg.llm_available():
            raise ConfigError(
                "--extractor openai: the key points of human reviews are then extracted by an LLM: set "
                f"{cfg.llm.api_key_env} or llm.base_url, or use --extractor structured"
            )
    return _Inputs(references_ref, references, infer_refs, _read_predictions(infer_refs), humans_ref)


def _judge_and_extractor(
    cfg: EvaluateConfig, judge: Judge | None, extractor: PointExtractor | None, humans_ref: InputRef | None
) -> tuple[EvaluateConfig, Judge, PointExtractor | None, Any]:
    """The judge and point extractor the config names (unless given), and the LLM client they share."""
    client = None
    if judge is None or (humans_ref is not None and extractor is None):
        cfg = cfg.model_copy(update={"judge": cfg.resolved_judge()})
    if judge is None:
        judge, client = _make_judge(cfg)
    if humans_ref is not None and extractor is None:
        if cfg.resolved_extractor() == "openai":
            from reviewgpt.evaluate.extract import LLMPointExtractor

            client = client or _llm_client(cfg)
            extractor = LLMPointExtractor(client, cfg.llm.model)
        else:
            extractor = StructuredPointExtractor()
    return cfg, judge, extractor, client


def _plan_units(
    cfg: EvaluateConfig, stage: StageRun, src: _Inputs, forums: list[str], aspects: list[str] | None,
    extractor: PointExtractor | None, done: set[str],
) -> tuple[list[_Unit], dict[str, list[ReviewShape]], list[ReviewShape]]:
    """The comparisons still to judge, and the shape of every review (for the report)."""
    each_human = cfg.reference == "each-human"
    units: list[_Unit] = []
    shapes: dict[str, list[ReviewShape]] = defaultdict(list)
    reference_shapes: list[ReviewShape] = []
    for forum in forums:
        ref = src.references[forum]
        parsed_ref = parse_review(ref.output, ref.schema)
        reference_shapes.append(review_shape(parsed_ref, ref.schema))
        points_b = text_points(ref.output, ref.schema, aspects)
        for pred in src.predictions.get(forum, []):
            parsed = parse_review(pred.text, ref.schema)
            shapes[pred.system].append(review_shape(parsed, ref.schema))
            if each_human:
                continue
            unit = _Unit(forum, pred.system, pred.sample, AGGREGATE_REFERENCE,
                         text_points(pred.text, ref.schema, aspects), points_b)
            if unit.key not in done:
                units.append(unit)
    for forum, pred in _unreferenced(src.references, src.predictions):
        stage.skip(f"{pred.system}:{forum}:{pred.sample}", "no reference review")
    if src.humans_ref is not None:
        assert extractor is not None
        # each-human mode scores a paper with one human review too; the ceiling needs two
        reviews, extracted = _extract_humans(stage, src.humans_ref, set(forums), extractor, 1 if each_human else 2)
        units += _ceiling_units(reviews, extracted, done)
        if each_human:
            schemas = {ex.schema for ex in src.references.values()}
            criticisms = aspects if aspects is not None else criticism_aspects(schemas)
            units += _each_human_units(
                stage, forums, src.references, src.predictions, reviews, extracted, criticisms, done
            )
    return units, shapes, reference_shapes


def _write_summary(cfg: EvaluateConfig, stage: StageRun, src: _Inputs, summary: dict[str, Any], results,
                   shapes, reference_shapes) -> None:
    """summary.json, report.md with its plots, and the per-system hit rates in the manifest."""
    from reviewgpt.evaluate.report import write_report

    summary["inputs"] = {"references": f"dataset/{src.references_ref.version}/{DATASET.split(cfg.split)}",
                         "predictions": [f"infer/{ref.version}" for ref in src.infer_refs],
                         "humans": f"crawl/{src.humans_ref.version}" if src.humans_ref else None}
    stage.write_json(EVALUATE.summary, summary)
    write_report(stage.path, summary, results, shapes, reference_shapes, plots=cfg.plots)
    stage.extra["systems"] = {name: s["mean_hit_rate"] for name, s in summary["systems"].items()}


def _resolve(cfg: EvaluateConfig, stage: str, version: str | None, flag: str, records: str = "") -> InputRef:
    """resolve_input, naming this stage's flag for the input in the error.

    A ``.jsonl`` file (or ``-``, standard input) given instead of a version is read as that version's
    ``records`` file: evaluate predictions or references made outside the pipeline.
    """
    if version is not None and records and (version == "-" or version.endswith(JSONL)):
        return _file_input(stage, version, records, flag)
    try:
        return resolve_input(cfg.data_dir, stage, version)
    except StoreError as exc:
        raise StoreError(str(exc).replace("--input", flag)) from None


def _file_input(stage: str, given: str, records: str, flag: str) -> InputRef:
    """An InputRef over a records file given by path (or ``-``): a temporary folder holding it as ``records``."""
    import atexit
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix=f"reviewgpt-{stage}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    if given == "-":
        (folder / records).write_bytes(sys.stdin.buffer.read())
    else:
        source = Path(given)
        if not source.is_file():
            raise StoreError(f"{flag} {given}: no such file")
        shutil.copyfile(source, folder / records)
    return InputRef(stage=stage, version="stdin" if given == "-" else str(Path(given).resolve()), path=folder)


def _read_predictions(refs: list[InputRef]) -> dict[str, list[Prediction]]:
    """Predictions per paper from one or more infer versions.

    Raises:
        ConfigError: two versions (or one) hold the same (system, paper, sample): rename a system.
    """
    seen: dict[tuple[str, str, int], str] = {}
    by_forum: dict[str, list[Prediction]] = defaultdict(list)
    for ref in refs:
        for pred in read_records(ref.file(INFER.records), Prediction):
            key = (pred.system, pred.forum, pred.sample)
            if key in seen:
                raise ConfigError(
                    f"system '{pred.system}' paper {pred.forum} sample {pred.sample} is in infer/{seen[key]} "
                    f"and infer/{ref.version}: evaluate versions of different systems, or name the systems apart"
                )
            seen[key] = ref.version
            by_forum[pred.forum].append(pred)
    return by_forum


def _papers(references: dict, predictions: dict[str, list[Prediction]], limit: int | None) -> list[str]:
    """The papers evaluated: those with a reference and at least one prediction, the first ``limit``."""
    forums = [forum for forum in references if forum in predictions]
    if not forums:
        raise ReviewGPTError(
            "no prediction is for a paper of the references: check that --predictions and --references "
            "come from the same dataset"
        )
    return forums[:limit] if limit else forums


def _unreferenced(references: dict, predictions: dict[str, list[Prediction]]):
    for forum, preds in predictions.items():
        if forum not in references:
            for pred in preds:
                yield forum, pred


def _llm_client(cfg: EvaluateConfig) -> LLMClient:
    from reviewgpt.llm import LLMClient

    return LLMClient(cfg.llm, cache_dir=cfg.data_dir / "cache" / "llm" if cfg.llm.cache else None)


def _make_judge(cfg: EvaluateConfig) -> tuple[Judge, LLMClient | None]:
    """The judge named by the (resolved) config, and the LLM client it uses, if any."""
    if cfg.judge == "openai":
        from reviewgpt.evaluate.judges.llm import LLMJudge

        client = _llm_client(cfg)
        return LLMJudge(client, cfg.llm.model), client
    from reviewgpt.evaluate.judges.embedding import EmbeddingJudge

    log.info("judge: embedding (offline; set %s or --judge openai for the LLM judge)", cfg.llm.api_key_env)
    try:
        judge = EmbeddingJudge(calibration=cfg.embedding_calibration, threshold=cfg.embedding_threshold)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"embedding judge: {exc}") from exc
    return judge, None


def _refuse_mixed_settings(cfg: EvaluateConfig, params: dict, references_ref: InputRef) -> None:
    """A rerun into an existing version must judge as that version did, or its numbers would mix."""
    old = (read_manifest(cfg.data_dir / "evaluate" / cfg.version) or {}) if cfg.version else {}
    old_params = old.get("params") or {}
    changed = [key for key in _JUDGING_PARAMS if key in old_params and old_params[key] != params.get(key)]
    if changed:
        what = ", ".join(f"{key} {old_params[key]!r} -> {params.get(key)!r}" for key in changed)
        raise ConfigError(
            f"evaluate version '{cfg.version}' was judged with other settings ({what}): "
            "use a new --version, or the settings it was made with"
        )


def _extract_humans(
    stage: StageRun, crawl_ref: InputRef, forums: set[str], extractor: PointExtractor, min_reviews: int
) -> tuple[dict[str, list[HumanReview]], dict[str, HumanPoints]]:
    """The human reviews of the papers that have at least ``min_reviews``, and their extracted points.

    The points of each review are extracted once and kept in ``human_points.jsonl``.
    """
    reviews: dict[str, list[HumanReview]] = {}
    for paper in read_records(crawl_ref.file(CRAWL.records), CrawledPaper):
        if paper.forum not in forums:
            continue
        texts = [HumanReview(paper.forum, r.id, review_text(r), dict(r.fields)) for r in paper.replies if r.kind == "review"]
        texts = [review for review in texts if review.text]
        if len(texts) >= min_reviews:
            reviews[paper.forum] = sorted(texts, key=lambda r: r.review_id)
    extracted = {}
    if stage.file(HUMAN_POINTS).exists():
        extracted = {rec.review_id: rec for rec in read_records(stage.file(HUMAN_POINTS), HumanPoints)}
    todo = [review for group in reviews.values() for review in group if review.review_id not in extracted]

    def outcome(done: tuple[HumanReview, list | Exception]) -> Outcome:
        review, points = done
        if isinstance(points, Exception):
            return Failed(f"{review.forum}/{review.review_id}", "point extraction failed", str(points),
                          raw=getattr(points, "raw", None))
        record = HumanPoints(forum=review.forum, review_id=review.review_id, points=points, extractor=extractor.name)
        extracted[review.review_id] = record
        return Written(record, HUMAN_POINTS)

    run_items(stage, extractor.extract_all(todo), outcome)
    return reviews, extracted


def _ceiling_units(
    reviews: dict[str, list[HumanReview]], extracted: dict[str, HumanPoints], done: set[str]
) -> list[_Unit]:
    """Human reviews of the same paper judged against each other (every ordered pair)."""
    units = []
    for forum, group in reviews.items():
        usable = [r for r in group if r.review_id in extracted]
        for review_a in usable:
            for review_b in usable:
                if review_b is review_a:
                    continue
                unit = _Unit(
                    # the sample is the review's place among all of the paper's reviews: stable across reruns
                    forum, HUMAN_SYSTEM, group.index(review_a), f"human:{review_b.review_id}",
                    free_text_points(extracted[review_a.review_id].points),
                    free_text_points(extracted[review_b.review_id].points),
                )
                if unit.key not in done:
                    units.append(unit)
    return units


def _each_human_units(
    stage: StageRun,
    forums: list[str],
    references: dict[str, InstructionExample],
    predictions: dict[str, list[Prediction]],
    reviews: dict[str, list[HumanReview]],
    extracted: dict[str, HumanPoints],
    criticisms: list[str],
    done: set[str],
) -> list[_Unit]:
    """Each generated review against each human review of its paper, criticisms against criticisms.

    The generated side is the review's points in ``criticisms`` (by default its rejection and
    suggestion aspects), relabelled as criticisms like the human side, so a hit can pair any of them.
    """
    units = []
    for forum in forums:
        humans = [r for r in reviews.get(forum, []) if r.review_id in extracted]
        for pred in predictions.get(forum, []):
            if not humans:
                stage.skip(f"{pred.system}:{forum}:{pred.sample}", "no human review")
                continue
            points_a = as_criticisms(text_points(pred.text, references[forum].schema, criticisms))
            for human in humans:
                unit = _Unit(forum, pred.system, pred.sample, f"human:{human.review_id}", points_a,
                             free_text_points(extracted[human.review_id].points))
                if unit.key not in done:
                    units.append(unit)
    return units


def _judge_units(stage: StageRun, judge: Judge, units: list[_Unit], cfg: EvaluateConfig) -> None:
    """Judge all comparisons of all units; append each unit's record once its last comparison is back."""
    by_comparison: dict[str, tuple[_Unit, list[int], list[int]]] = {}
    comparisons: list[Comparison] = []
    for unit in units:
        parts = unit.comparisons(cfg.within_aspect)
        unit.pending = len(parts)
        if not parts:  # nothing to compare: no hit possible
            write_outcome(stage, Written(unit.result(cfg.threshold, judge.name)))
            continue
        for comparison, index_a, index_b in parts:
            by_comparison[comparison.key] = (unit, index_a, index_b)
            comparisons.append(comparison)
    failed: set[str] = set()

    def outcome(judged: tuple[Comparison, list | Exception]) -> Outcome | None:
        comparison, matches = judged
        unit, index_a, index_b = by_comparison[comparison.key]
        if unit.key in failed:
            return None
        if isinstance(matches, Exception):
            failed.add(unit.key)
            return Failed(unit.key, "judge failed", f"{type(matches).__name__}: {matches}",
                          raw=getattr(matches, "raw", None))
        # the judge numbers the points of its comparison; the record numbers all points of the review
        unit.matches += [m.model_copy(update={"a": index_a[m.a - 1] + 1, "b": index_b[m.b - 1] + 1}) for m in matches]
        unit.pending -= 1
        return Written(unit.result(cfg.threshold, judge.name)) if unit.pending == 0 else None

    # the LLM judge's client draws its own bar; a spent LLM budget raises BudgetExceeded out of
    # match_all: the run stops, judged records stay
    own_bar = getattr(judge, "shows_progress", False)
    run_items(stage, judge.match_all(comparisons), outcome, total=len(comparisons),
              description=None if own_bar else f"judging ({judge.name})")


def summarize(
    results: list[MatchResult],
    shapes: dict[str, list[ReviewShape]],
    reference_shapes: list[ReviewShape],
    cfg: EvaluateConfig,
    judge: str,
    aspects: list[str] | None,
) -> dict:
    """summary.json: per system means with intervals, the human ceiling, win/tie/loss per pair."""
    scores = paper_scores(results)
    systems = [name for name in scores if name != HUMAN_SYSTEM]
    summary_of = {name: system_summary(scores[name], cfg.bootstrap, cfg.seed) for name in scores}
    return {
        "judge": judge,
        "reference": cfg.reference,
        "extractor": cfg.resolved_extractor() if cfg.humans or cfg.reference == "each-human" else None,
        "threshold": cfg.threshold,
        "aspects": aspects or "all",
        "within_aspect": cfg.within_aspect,
        "systems": {
            name: summary_of[name] | {"review_shape": shape_summary(shapes.get(name, []))} for name in systems
        },
        "human_human": summary_of.get(HUMAN_SYSTEM),
        "reference_shape": shape_summary(reference_shapes),
        "pairs": pairwise(scores, systems),
        "per_paper": {
            name: {forum: asdict(score) for forum, score in by_paper.items()} for name, by_paper in scores.items()
        },
    }

