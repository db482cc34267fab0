"""A small sample venue that the project generates itself: the demo's embedded default.

:func:`write_sample_bundle` writes a *venue bundle* (the format served by
:mod:`reviewgpt.testing.openreview_server`)::

    <bundle>/groups.json      venue groups (one API v1 venue, one API v2 venue)
    <bundle>/v1_notes.jsonl   raw API v1 notes: submissions and their replies
    <bundle>/v2_notes.jsonl   raw API v2 notes (content values wrapped as {"value": ...})
    <bundle>/pdfs/<id>.pdf    each paper rendered to a real PDF with PyMuPDF

Papers are built from templates over a table of research topics (method, task, datasets, metric,
baseline), so every paper and its reviews talk about the same concrete things; reviews of one paper
overlap in some points, as real reviewers do. Everything is seeded and deterministic.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

V1_VENUE = "SampleConf.cc/2023/Conference"
V2_VENUE = "SampleConf.cc/2024/Conference"

# (method, task, area, dataset A, dataset B, metric, baseline, mechanism)
_TOPICS = [
    ("GraphMix", "molecule property prediction", "graph neural networks", "QM9", "ZINC", "mean absolute error", "GIN", "mixing node features across random subgraphs"),
    ("SparseRoute", "long-document summarization", "efficient transformers", "arXiv-Sum", "PubMed-Sum", "ROUGE-L", "Longformer", "routing tokens to a few learned memory slots"),
    ("CurriculumDrop", "image classification under label noise", "robust learning", "CIFAR-10N", "Clothing1M", "top-1 accuracy", "Co-teaching", "dropping examples whose loss grows during training"),
    ("TempoNet", "traffic forecasting", "spatio-temporal modelling", "METR-LA", "PEMS-BAY", "mean absolute error", "DCRNN", "a learned multi-scale temporal convolution"),
    ("ProtoAlign", "few-shot text classification", "meta-learning", "FewRel", "HuffPost", "accuracy", "Prototypical Networks", "aligning class prototypes with label descriptions"),
    ("QuantFlow", "post-training quantization of language models", "model compression", "WikiText-2", "C4", "perplexity", "GPTQ", "a flow of per-channel scales learned from a few hundred samples"),
    ("RewardLens", "reward modelling for dialogue", "reinforcement learning from human feedback", "HH-RLHF", "SHP", "preference accuracy", "a Bradley-Terry reward model", "decomposing rewards into interpretable attributes"),
    ("DiffuseSeg", "medical image segmentation", "diffusion models", "BraTS", "ISIC", "Dice score", "U-Net", "denoising segmentation masks conditioned on the image"),
    ("CausalProbe", "probing language models for causal knowledge", "interpretability", "COPA", "e-CARE", "accuracy", "linear probing", "counterfactual interventions on hidden states"),
    ("FedSketch", "federated learning with limited bandwidth", "distributed optimization", "FEMNIST", "Shakespeare", "test accuracy", "FedAvg", "sending count sketches of the model update"),
    ("AnchorRL", "offline reinforcement learning", "reinforcement learning", "D4RL locomotion", "AntMaze", "normalized return", "CQL", "anchoring the critic to behaviour-policy actions"),
    ("SpecDecode", "speculative decoding for code generation", "efficient inference", "HumanEval", "MBPP", "tokens per second", "greedy decoding", "a draft model that proposes whole syntax subtrees"),
    ("TabPrompt", "tabular data classification", "large language models", "Adult", "Bank Marketing", "AUC", "XGBoost", "serializing rows into prompts with retrieved neighbours"),
    ("PointWarp", "3D point cloud registration", "geometric deep learning", "3DMatch", "KITTI", "registration recall", "GeoTransformer", "warping local patches before matching"),
    ("ContraSpeech", "low-resource speech recognition", "self-supervised learning", "LibriSpeech 10h", "Common Voice", "word error rate", "wav2vec 2.0", "contrasting utterances across speakers"),
    ("EquiDock", "protein-ligand docking", "equivariant networks", "PDBbind", "PoseBusters", "success rate", "DiffDock", "an SE(3)-equivariant score over ligand poses"),
    ("MemEdit", "knowledge editing in language models", "model editing", "CounterFact", "zsRE", "edit success", "ROME", "editing a key-value memory inserted after the MLP"),
    ("VisionGate", "efficient vision transformers", "efficient architectures", "ImageNet-1k", "COCO", "top-1 accuracy", "DeiT-S", "gating image patches by predicted saliency"),
    ("FairRank", "fair learning to rank", "algorithmic fairness", "TREC Fair", "MSLR-WEB30K", "NDCG@10", "LambdaMART", "a constrained listwise loss over exposure"),
    ("ShiftDetect", "detecting distribution shift", "reliable machine learning", "WILDS-Camelyon", "CIFAR-10-C", "AUROC", "MMD two-sample tests", "comparing ensembles' disagreement on unlabeled data"),
]

_FIRST = ["Ana", "Bo", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jia", "Kofi", "Lena", "Mateo", "Noor", "Omar", "Priya"]
_LAST = ["Garcia", "Li", "Novak", "Okafor", "Smith", "Tanaka", "Weber", "Kim", "Rossi", "Haddad", "Silva", "Ivanova"]

RATINGS = {
    8: "8: accept, good paper",
    6: "6: marginally above the acceptance threshold",
    5: "5: marginally below the acceptance threshold",
    3: "3: reject, not good enough",
}
CONFIDENCE = "4: You are confident in your assessment, but not absolutely certain."


@dataclass
class SamplePaper:
    """One generated paper; ``facts`` is the topic tuple its text and reviews are built from."""

    note_id: str
    number: int
    venue_id: str
    api_version: int
    title: str
    abstract: str
    authors: list[str]
    keywords: list[str]
    sections: list[tuple[str, str]]
    captions: list[str]
    references: list[str]
    facts: tuple[str, ...]
    accepted: bool


def _note_id(*parts: object) -> str:
    """A deterministic 10-character id shaped like OpenReview's."""
    digest = hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[int(digest[i : i + 2], 16) % len(alphabet)] for i in range(0, 20, 2))


# long: a test-data generator whose body is the paper's text, written out in the order it draws from rng
def _paper(index: int, rng: random.Random) -> SamplePaper:
    method, task, area, data_a, data_b, metric, baseline, mechanism = _TOPICS[index % len(_TOPICS)]
    api_version = 1 if index < len(_TOPICS) // 2 else 2
    venue = V1_VENUE if api_version == 1 else V2_VENUE
    gain = rng.choice([1.8, 2.4, 3.1, 4.0, 5.6])
    title = f"{method}: {mechanism.capitalize()} for {task.capitalize()}"
    abstract = (
        f"Progress in {task} is limited by how existing {area} methods such as {baseline} cope with scale and noise. "
        f"We introduce {method}, which relies on {mechanism}. {method} is simple to implement and adds little "
        f"computation. On {data_a} and {data_b}, {method} improves {metric} by {gain} points over {baseline}, "
        f"and an ablation shows that {mechanism} accounts for most of the gain. We release code and trained models."
    )
    intro = (
        f"{task.capitalize()} is a central problem in {area}. Strong baselines such as {baseline} reach good "
        f"{metric} on standard benchmarks, yet they degrade when data are scarce or noisy. "
        f"In this paper we argue that {mechanism} is the missing ingredient.\n\n"
        f"Our contributions are threefold. First, we propose {method}. Second, we analyse when {mechanism} "
        f"helps and when it does not. Third, we evaluate on {data_a} and {data_b} and report consistent gains "
        f"in {metric}, as summarised in Figure 1."
    )
    related = (
        f"Work on {task} builds on {baseline} and its successors. Methods in {area} typically trade accuracy for "
        f"efficiency. Closest to ours are approaches that regularise representations; unlike them, {method} uses "
        f"{mechanism}, which needs no extra labels."
    )
    method_text = (
        f"Let x denote an input and y its target. {method} computes a representation h(x) and applies "
        f"{mechanism} before the prediction head. The training objective is the task loss plus a consistency "
        f"term weighted by lambda, which we set to 0.1 in all experiments.\n\n"
        f"The extra cost is linear in the input size; in practice {method} adds about {rng.choice([3, 5, 8, 12])} "
        f"percent to the training time of {baseline}. Figure 2 sketches the architecture."
    )
    experiments = (
        f"We compare {method} with {baseline} and two further baselines on {data_a} and {data_b}. All models use "
        f"the same budget of hyper-parameter search and three random seeds. Table 1 reports {metric}: {method} "
        f"improves over {baseline} by {gain} points on {data_a} and by {round(gain * 0.7, 1)} points on {data_b}.\n\n"
        f"Ablation. Removing {mechanism} reduces the gain to {round(gain * 0.2, 1)} points (Table 2), which "
        f"indicates that it is the main source of improvement. We did not tune lambda per dataset."
    )
    conclusion = (
        f"We presented {method} for {task}. Future work will study larger models and other domains where "
        f"{mechanism} could help."
    )
    sections = [
        ("1 Introduction", intro),
        ("2 Related Work", related),
        ("3 Method", method_text),
        ("4 Experiments", experiments),
        ("5 Conclusion", conclusion),
    ]
    captions = [
        f"Figure 1: {metric.capitalize()} of {method} and {baseline} on {data_a} as training data grows.",
        f"Figure 2: Overview of {method}: the input is encoded, then {mechanism} is applied.",
        f"Table 1: {metric.capitalize()} on {data_a} and {data_b}, mean over three seeds.",
        f"Table 2: Ablation of {method} on {data_a}.",
    ]
    references = [
        f"{rng.choice(_LAST)}, {rng.choice(_FIRST)[0]}. and {rng.choice(_LAST)}, {rng.choice(_FIRST)[0]}. "
        f"{baseline}: a strong baseline for {task}. In Proceedings of ICML, 2020.",
        f"{rng.choice(_LAST)}, {rng.choice(_FIRST)[0]}. A survey of {area}. Journal of Machine Learning Research, 22:1-40, 2021.",
        f"{rng.choice(_LAST)}, {rng.choice(_FIRST)[0]}. et al. The {data_a} benchmark. In NeurIPS Datasets and Benchmarks, 2021.",
    ]
    authors = [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rng.choice([2, 3, 4]))]
    number = index + 1
    return SamplePaper(
        note_id=_note_id(venue, number),
        number=number,
        venue_id=venue,
        api_version=api_version,
        title=title,
        abstract=abstract,
        authors=authors,
        keywords=[area, task],
        sections=sections,
        captions=captions,
        references=references,
        facts=(method, task, area, data_a, data_b, metric, baseline, mechanism),
        accepted=index % 3 != 2,
    )


def _review_points(paper: SamplePaper, rng: random.Random) -> dict[str, list[str]]:
    method, task, area, data_a, data_b, metric, baseline, mechanism = paper.facts
    strengths = [
        f"The idea of {mechanism} is simple and well motivated for {task}.",
        f"The gains in {metric} over {baseline} on {data_a} and {data_b} are consistent across seeds.",
        f"The ablation isolates the contribution of {mechanism}.",
        "The paper is clearly written and easy to follow.",
        f"The extra training cost of {method} is small.",
    ]
    weaknesses = [
        f"Only {baseline} and two weaker baselines are compared; recent state-of-the-art methods in {area} are missing.",
        f"The evaluation is limited to {data_a} and {data_b}; it is unclear whether {method} generalises to other datasets.",
        "There is no theoretical analysis of why the method works.",
        "The consistency weight lambda is fixed to 0.1 without a sensitivity study.",
        "Statistical significance of the improvements is not reported.",
        f"The novelty over prior regularisation approaches in {area} is limited.",
    ]
    questions = [
        f"How does {method} behave when {mechanism} is applied at several layers?",
        "Could the authors report results with more random seeds and confidence intervals?",
        f"What is the wall-clock overhead of {method} at inference time?",
        f"Would {method} still help with a stronger backbone than {baseline}?",
    ]
    return {
        "summary": [
            f"The paper proposes {method} for {task}, based on {mechanism}, and reports gains in {metric} "
            f"over {baseline} on {data_a} and {data_b}. Its main contribution, {mechanism}, is a new idea "
            f"for {area}."
        ],
        "strengths": rng.sample(strengths, 3),
        "weaknesses": rng.sample(weaknesses, 3),
        "questions": rng.sample(questions, 2),
    }


def _free_text_review(points: dict[str, list[str]]) -> str:
    """An API v1-style review: one free-text field with the cue phrases reviewers use."""
    lines = [points["summary"][0], "", "Strengths:"]
    lines += [f"- {s}" for s in points["strengths"]]
    lines += ["", "Weaknesses:"]
    lines += [f"- {w}" for w in points["weaknesses"]]
    lines += ["", "Questions:"]
    lines += [f"- {q}" for q in points["questions"]]
    return "\n".join(lines)


def render_pdf(paper: SamplePaper, path: Path) -> None:
    """Render a paper to a real multi-page PDF (title, authors, abstract, sections, captions, references)."""
    import html

    import pymupdf

    def esc(text: str) -> str:
        return html.escape(text)

    parts = [
        f"<h1 style='font-size:17px;text-align:center'>{esc(paper.title)}</h1>",
        f"<p style='text-align:center;font-size:10px'>{esc(', '.join(paper.authors))}</p>",
        "<h2 style='font-size:12px;text-align:center'>Abstract</h2>",
        f"<p style='font-size:10px'>{esc(paper.abstract)}</p>",
    ]
    figure_after = {"1 Introduction": 0, "3 Method": 1, "4 Experiments": 2}
    for heading, text in paper.sections:
        parts.append(f"<h2 style='font-size:12px'>{esc(heading)}</h2>")
        parts += [f"<p style='font-size:10px'>{esc(par)}</p>" for par in text.split("\n\n")]
        if heading in figure_after:
            caption = paper.captions[figure_after[heading]]
            parts.append(f"<p style='font-size:9px'>{esc(caption)}</p>")
        if heading == "4 Experiments":
            parts.append(f"<p style='font-size:9px'>{esc(paper.captions[3])}</p>")
    parts.append("<h2 style='font-size:12px'>References</h2>")
    parts += [f"<p style='font-size:9px'>{esc(ref)}</p>" for ref in paper.references]
    story = pymupdf.Story("".join(parts), user_css="body {font-family: sans-serif;}")
    writer = pymupdf.DocumentWriter(str(path))
    mediabox = pymupdf.paper_rect("letter")
    where = mediabox + (72, 72, -72, -72)
    more = True
    while more:
        device = writer.begin_page(mediabox)
        more, _ = story.place(where)
        story.draw(device)
        writer.end_page()
    writer.close()


def sample_papers(n_papers: int = 20, seed: int = 0) -> list[SamplePaper]:
    rng = random.Random(seed)
    return [_paper(i, rng) for i in range(n_papers)]


def _v1_notes(paper: SamplePaper, rng: random.Random, base_time: int) -> list[dict]:
    venue, n = paper.venue_id, paper.number
    sub = {
        "id": paper.note_id, "original": None, "number": n, "cdate": base_time, "tcdate": base_time,
        "tmdate": base_time + 1000, "ddate": None, "forum": paper.note_id, "referent": None,
        "replyto": None, "invitation": f"{venue}/-/Blind_Submission", "readers": ["everyone"],
        "nonreaders": [], "signatures": [venue], "writers": [venue],
        "content": {
            "title": paper.title, "abstract": paper.abstract, "authors": paper.authors,
            "authorids": [f"~{a.replace(' ', '_')}1" for a in paper.authors], "keywords": paper.keywords,
            "TL;DR": paper.abstract.split(". ")[1] + ".", "pdf": f"/pdf/{paper.note_id}.pdf",
            "paperhash": paper.title.lower().replace(" ", "_")[:40],
        },
        "details": {"replyCount": 0},
    }
    replies = []

    def reply(kind: str, signature: str, content: dict, offset: int) -> dict:
        note = {
            "id": _note_id(paper.note_id, kind, offset), "original": None, "number": len(replies) + 1,
            "cdate": base_time + offset, "tcdate": base_time + offset, "tmdate": base_time + offset,
            "ddate": None, "forum": paper.note_id, "referent": None, "replyto": paper.note_id,
            "invitation": f"{venue}/-/Paper{n}/{kind}", "readers": ["everyone"], "nonreaders": [],
            "signatures": [signature], "writers": [signature], "content": content,
            "details": {"replyCount": 0},
        }
        replies.append(note)
        return note

    for r in range(3):
        points = _review_points(paper, rng)
        rating = rng.choice([6, 8] if paper.accepted else [3, 5])
        reply("Official_Review", f"{venue}/Paper{n}/AnonReviewer{r + 1}", {
            "title": f"Review of {paper.facts[0]}", "review": _free_text_review(points),
            "rating": RATINGS[rating], "confidence": CONFIDENCE,
        }, 10_000 * (r + 1))
    reply("Official_Comment", f"{venue}/Paper{n}/Authors", {
        "title": "Response to reviewers", "comment": "We thank the reviewers and added the requested experiments.",
    }, 50_000)
    reply("Meta_Review", f"{venue}/Paper{n}/Area_Chair1", {
        "metareview": f"The reviewers agree that {paper.facts[0]} is simple and effective but ask for broader baselines.",
        "recommendation": "Accept (Poster)" if paper.accepted else "Reject", "confidence": "4: The area chair is confident",
    }, 60_000)
    reply("Decision", venue, {
        "title": "Paper Decision", "decision": "Accept (Poster)" if paper.accepted else "Reject",
    }, 70_000)
    sub["details"]["replyCount"] = len(replies)
    return [sub, *replies]


def _wrap(content: dict) -> dict:
    return {key: {"value": value} for key, value in content.items()}


def _v2_notes(paper: SamplePaper, rng: random.Random, base_time: int) -> list[dict]:
    venue, n = paper.venue_id, paper.number
    decision = "Accept (poster)" if paper.accepted else "Reject"
    sub = {
        "id": paper.note_id, "forum": paper.note_id, "replyto": None, "number": n,
        "invitations": [f"{venue}/-/Submission", f"{venue}/-/Post_Submission"], "domain": venue,
        "cdate": base_time, "tcdate": base_time, "mdate": base_time + 1000, "tmdate": base_time + 1000,
        "pdate": base_time + 2000, "readers": ["everyone"], "writers": [venue], "signatures": [f"{venue}/Submission{n}/Authors"],
        "content": _wrap({
            "title": paper.title, "abstract": paper.abstract, "authors": paper.authors,
            "authorids": [f"~{a.replace(' ', '_')}1" for a in paper.authors], "keywords": paper.keywords,
            "TLDR": paper.abstract.split(". ")[1] + ".", "pdf": f"/pdf/{paper.note_id}.pdf",
            "venue": f"SampleConf 2024 {'poster' if paper.accepted else 'Submitted'}",
            "venueid": venue if paper.accepted else f"{venue}/Rejected_Submission",
            "primary_area": paper.keywords[0],
        }),
    }
    replies = []

    def reply(kind: str, signature: str, content: dict, offset: int) -> None:
        replies.append({
            "id": _note_id(paper.note_id, kind, offset), "forum": paper.note_id, "replyto": paper.note_id,
            "invitations": [f"{venue}/Submission{n}/-/{kind}"], "domain": venue,
            "cdate": base_time + offset, "tcdate": base_time + offset, "mdate": base_time + offset,
            "tmdate": base_time + offset, "readers": ["everyone"], "writers": [venue, signature],
            "signatures": [signature], "number": len(replies) + 1, "content": _wrap(content),
        })

    for r in range(3):
        points = _review_points(paper, rng)
        rating = rng.choice([6, 8] if paper.accepted else [3, 5])
        reply("Official_Review", f"{venue}/Submission{n}/Reviewer_{_note_id(paper.note_id, r)[:4]}", {
            "summary": points["summary"][0],
            "soundness": "3 good", "presentation": "3 good", "contribution": "2 fair",
            "strengths": "\n".join(f"- {s}" for s in points["strengths"]),
            "weaknesses": "\n".join(f"- {w}" for w in points["weaknesses"]),
            "questions": "\n".join(f"- {q}" for q in points["questions"]),
            "flag_for_ethics_review": ["No ethics review needed."],
            "rating": RATINGS[rating], "confidence": CONFIDENCE, "code_of_conduct": "Yes",
        }, 10_000 * (r + 1))
    reply("Official_Comment", f"{venue}/Submission{n}/Authors", {
        "title": "Response", "comment": "Thank you for the review; we added results with more seeds.",
    }, 50_000)
    reply("Meta_Review", f"{venue}/Submission{n}/Area_Chair_x1", {
        "metareview": f"{paper.facts[0]} is a simple idea with consistent gains; the baselines could be stronger.",
        "justification_for_why_not_higher_score": "Limited evaluation.",
        "justification_for_why_not_lower_score": "Consistent gains.",
    }, 60_000)
    reply("Decision", f"{venue}/Program_Chairs", {"title": "Paper Decision", "decision": decision}, 70_000)
    return [sub, *replies]


def _groups() -> list[dict]:
    v2 = {
        "id": V2_VENUE, "domain": V2_VENUE, "readers": ["everyone"], "writers": [V2_VENUE],
        "signatures": ["~Super_User1"], "signatories": [V2_VENUE], "members": [],
        "content": _wrap({
            "title": "SampleConf 2024", "submission_name": "Submission", "submission_id": f"{V2_VENUE}/-/Submission",
            "submission_venue_id": f"{V2_VENUE}/Submission", "rejected_venue_id": f"{V2_VENUE}/Rejected_Submission",
            "withdrawn_venue_id": f"{V2_VENUE}/Withdrawn_Submission", "decision_name": "Decision",
            "review_name": "Official_Review", "meta_review_name": "Meta_Review",
        }),
    }
    v1 = {"id": V1_VENUE, "readers": ["everyone"], "writers": [V1_VENUE], "signatures": ["~Super_User1"],
          "signatories": [V1_VENUE], "members": [], "web": "// SampleConf 2023 homepage"}
    return [v1, v2]


def write_sample_bundle(out_dir: Path, n_papers: int = 20, seed: int = 0) -> list[SamplePaper]:
    """Write the sample venue bundle (groups, v1 and v2 notes, PDFs) to ``out_dir``.

    Returns:
        The generated papers (half under the API v1 venue, half under the API v2 venue).
    """
    out_dir = Path(out_dir)
    (out_dir / "pdfs").mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + 1)
    papers = sample_papers(n_papers, seed)
    v1_lines, v2_lines = [], []
    for paper in papers:
        base_time = 1_690_000_000_000 + paper.number * 3_600_000
        notes = _v1_notes(paper, rng, base_time) if paper.api_version == 1 else _v2_notes(paper, rng, base_time)
        (v1_lines if paper.api_version == 1 else v2_lines).extend(json.dumps(note) for note in notes)
        render_pdf(paper, out_dir / "pdfs" / f"{paper.note_id}.pdf")
    (out_dir / "groups.json").write_text(json.dumps(_groups(), indent=1))
    (out_dir / "v1_notes.jsonl").write_text("\n".join(v1_lines) + "\n")
    (out_dir / "v2_notes.jsonl").write_text("\n".join(v2_lines) + "\n")
    return papers


def sample_corpus(n_papers: int = 20, seed: int = 0) -> list[str]:
    """Plain text of the sample papers and reviews, to train the demo's tokenizer on."""
    rng = random.Random(seed + 1)
    texts = []
    for paper in sample_papers(n_papers, seed):
        texts += [paper.title, paper.abstract, *(t for _, t in paper.sections), *paper.captions]
        texts.append(_free_text_review(_review_points(paper, rng)))
    return texts
