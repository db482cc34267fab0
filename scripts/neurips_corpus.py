#!/usr/bin/env python3
"""Rebuild the NeurIPS 2025 review corpus (PeerRead layout) from a git mirror of djroytburg/10718peerread.

The repository keeps, at commit b3f2c323999efc639f28d77fda53320854d7fcde, under
``output/neurips_2025_full/``: ``reviews/<id>.json`` (5,540 papers with their OpenReview reviews and
decision) and ``parsed_pdfs/<id>.pdf.json`` (2,385 full texts as DoclingDocument JSON, each beside a
Markdown rendering we do not need), plus ``anonymized_pdfs/<id>.pdf.json`` (327 of the same papers
with author names removed). This script writes::

    OUT/reviews/<id>.json           the review files, byte for byte
    OUT/parsed_pdfs/<id>.pdf.json   the Docling text of each chosen paper that has one
    OUT/SOURCE.json                 the mirror, commit, counts and choices used

which ``reviewgpt crawl --source peerread --path OUT`` imports. It reads blobs through one
``git cat-file --batch`` process (no checkout, no work tree), so all 5,540 papers take seconds.

Examples::

    python scripts/neurips_corpus.py --out data/sources/neurips2025
    python scripts/neurips_corpus.py --out /tmp/n25 --limit 50 --with-text-only
    python scripts/neurips_corpus.py --out /tmp/n25 --ids 004uTlSufe,00Bwl1woOJ --anonymized
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

DEFAULT_MIRROR = "/work/.mirror/djroytburg+10718peerread/repo"
DEFAULT_COMMIT = "b3f2c323999efc639f28d77fda53320854d7fcde"
DEFAULT_PREFIX = "output/neurips_2025_full"


def _git(git_dir: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"error: git {' '.join(args)} failed in {git_dir}: {result.stderr.strip()}")
    return result.stdout


def list_blobs(git_dir: Path, commit: str, folder: str, suffix: str) -> dict[str, str]:
    """``{paper id: blob sha}`` of the files ``<folder>/<id><suffix>`` at ``commit`` (empty if no folder)."""
    out = _git(git_dir, "ls-tree", commit, folder.rstrip("/") + "/")
    blobs = {}
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        kind, sha = meta.split()[1:3]
        name = path.rsplit("/", 1)[-1]
        if kind == "blob" and name.endswith(suffix):
            blobs[name[: -len(suffix)]] = sha
    return blobs


def present_objects(git_dir: Path) -> set[str]:
    """The object ids the mirror really holds. A partial clone (a "promisor" pack) may lack some large
    blobs, and asking ``cat-file --batch`` for one makes git try to fetch it over the network."""
    out = _git(git_dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return set(out.split())


def read_blobs(git_dir: Path, shas: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(sha, content)`` for each sha, in order, through one ``git cat-file --batch``."""
    proc = subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None

    # Feed the requests from a thread: writing them all first could fill both pipes and deadlock.
    import threading

    def feed() -> None:
        try:
            for sha in shas:
                proc.stdin.write(sha.encode() + b"\n")
        finally:
            proc.stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        for sha in shas:
            header = proc.stdout.readline().split()
            if len(header) != 3:
                raise SystemExit(f"error: git cat-file gave no object for {sha}: {b' '.join(header).decode()}")
            size = int(header[2])
            content = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after each object
            yield header[0].decode(), content
    finally:
        feeder.join()
        proc.stdout.close()
        proc.wait()


def _write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def build(
    git_dir: Path, commit: str, out: Path, *, prefix: str = DEFAULT_PREFIX, limit: int | None = None,
    ids: list[str] | None = None, with_text_only: bool = False, anonymized: bool = False,
) -> dict[str, object]:
    """Write the corpus folder; return what ``SOURCE.json`` records."""
    reviews = list_blobs(git_dir, commit, f"{prefix}/reviews", ".json")
    if not reviews:
        raise SystemExit(f"error: no {prefix}/reviews/*.json at {commit} in {git_dir}")
    texts = list_blobs(git_dir, commit, f"{prefix}/parsed_pdfs", ".pdf.json")
    anonymous = list_blobs(git_dir, commit, f"{prefix}/anonymized_pdfs", ".pdf.json")
    present = present_objects(git_dir)
    missing_reviews = sorted(i for i, sha in reviews.items() if sha not in present)
    missing_texts = sorted(i for i, sha in {**texts, **anonymous}.items() if sha not in present)
    reviews = {i: sha for i, sha in reviews.items() if sha in present}
    texts = {i: sha for i, sha in texts.items() if sha in present}
    anonymous = {i: sha for i, sha in anonymous.items() if sha in present}
    if anonymized:  # the author-free copy wins where there is one
        texts = {**texts, **anonymous}
    chosen = sorted(reviews)
    if ids:
        unknown = sorted(set(ids) - set(reviews))
        if unknown:
            raise SystemExit(f"error: no review file in the mirror for {', '.join(unknown)}")
        chosen = [i for i in chosen if i in set(ids)]
    if with_text_only:
        chosen = [i for i in chosen if i in texts]
    if limit is not None:
        chosen = chosen[:limit]

    (out / "reviews").mkdir(parents=True, exist_ok=True)
    (out / "parsed_pdfs").mkdir(parents=True, exist_ok=True)
    jobs = [(out / "reviews" / f"{i}.json", reviews[i]) for i in chosen]
    jobs += [(out / "parsed_pdfs" / f"{i}.pdf.json", texts[i]) for i in chosen if i in texts]
    written = 0
    for (path, sha), (got, content) in zip(jobs, read_blobs(git_dir, [sha for _, sha in jobs]), strict=True):
        if got != sha:
            raise SystemExit(f"error: git cat-file answered {got} for {sha}")
        _write(path, content)
        written += len(content)
    source = {
        "repository": "https://github.com/djroytburg/10718peerread",
        "commit": _git(git_dir, "rev-parse", commit).strip(),
        "prefix": prefix,
        "papers": len(chosen),
        "full_texts": sum(1 for i in chosen if i in texts),
        "anonymized_texts": sum(1 for i in chosen if anonymized and i in anonymous),
        "missing_in_mirror": {"reviews": missing_reviews, "full_texts": missing_texts},
        "limit": limit,
        "with_text_only": with_text_only,
        "bytes": written,
    }
    (out / "SOURCE.json").write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", type=Path, default=Path(DEFAULT_MIRROR),
                        help=f"git directory of a (bare) clone of djroytburg/10718peerread [default: {DEFAULT_MIRROR}]")
    parser.add_argument("--commit", default=DEFAULT_COMMIT, help="commit to read [default: %(default)s]")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="folder of the corpus in that commit [default: %(default)s]")
    parser.add_argument("--out", type=Path, required=True, help="output folder, e.g. data/sources/neurips2025")
    parser.add_argument("--limit", type=int, default=None, help="at most N papers (the first N ids in sorted order)")
    parser.add_argument("--ids", default=None, help="comma-separated paper ids to take (instead of all)")
    parser.add_argument("--with-text-only", action="store_true", help="only papers that have a Docling full text")
    parser.add_argument("--anonymized", action="store_true",
                        help="use the author-free Docling text (anonymized_pdfs/) where the corpus has one")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if not (args.mirror / "HEAD").exists() and not (args.mirror / ".git").exists():
        parser.error(f"--mirror {args.mirror} is not a git directory")
    started = time.monotonic()
    ids = [i.strip() for i in args.ids.split(",") if i.strip()] if args.ids else None
    source = build(args.mirror, args.commit, args.out, prefix=args.prefix, limit=args.limit, ids=ids,
                   with_text_only=args.with_text_only, anonymized=args.anonymized)
    missing = source["missing_in_mirror"]
    if missing["reviews"] or missing["full_texts"]:  # type: ignore[index]
        print(f"warning: the mirror lacks {len(missing['reviews'])} review files and {len(missing['full_texts'])} "  # type: ignore[index]
              "Docling files (a partial clone); they are left out and listed in SOURCE.json", file=sys.stderr)
    print(
        f"{source['papers']} papers ({source['full_texts']} with full text, {int(source['bytes']) / 1e6:.0f} MB) "
        f"-> {args.out} in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
