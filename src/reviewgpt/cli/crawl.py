"""``reviewgpt crawl``: OpenReview papers, reviews and PDFs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reviewgpt.cli.common import SHARED, StageOptions, choices, execute, stage_options
from reviewgpt.crawl.config import CrawlConfig


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)


@stage_options()
def crawl(
    source: Annotated[str | None, typer.Option("--source", help="openreview (the API) | peerread (a PeerRead-layout folder given by --path) [default: openreview].")] = None,
    path: Annotated[Path | None, typer.Option("--path", help="With --source peerread: the folder holding reviews/<id>.json and parsed_pdfs/<id>.pdf.json.")] = None,
    venue: Annotated[list[str] | None, typer.Option("--venue", help="Venue id, e.g. ICLR.cc/2023/Conference (repeatable).")] = None,
    since_last: Annotated[bool | None, typer.Option("--since-last", help="Only notes created or modified since the previous crawl, merged into its records.")] = None,
    pdfs: Annotated[bool | None, typer.Option("--pdfs/--no-pdfs", help="Download PDFs into <data-dir>/pdfs [default: on].")] = None,
    api: Annotated[choices(CrawlConfig, "api") | None, typer.Option("--api", help="OpenReview API version [default: auto, per venue].")] = None,
    baseurl: Annotated[str | None, typer.Option("--baseurl", help="API v1 URL [default: https://api.openreview.net].")] = None,
    baseurl_v2: Annotated[str | None, typer.Option("--baseurl-v2", help="API v2 URL [default: https://api2.openreview.net].")] = None,
    rate: Annotated[float | None, typer.Option("--rate", help="Most requests per second [default: 4; 0: no limit].")] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", help="PDF downloads at once [default: 4].")] = None,
    list_venues: Annotated[bool, typer.Option("--list-venues", help="Print the venue ids the server lists (those containing FILTER) and exit.")] = False,
    venue_filter: Annotated[str | None, typer.Argument(metavar="[FILTER]", help="With --list-venues: only ids containing this text.")] = None,
    options: StageOptions = SHARED,
) -> None:
    """Crawl OpenReview venues: submissions with their replies -> data/crawl/<version>/papers.jsonl, PDFs -> data/pdfs/.

    Examples: reviewgpt crawl --venue ICLR.cc/2023/Conference --venue ICLR.cc/2024/Conference;
    reviewgpt crawl --since-last (nightly); reviewgpt crawl --list-venues ICLR;
    reviewgpt crawl --source peerread --path data/sources/neurips2025 --venue NeurIPS.cc/2025/Conference.
    Guest access unless OPENREVIEW_USERNAME / OPENREVIEW_PASSWORD are set.
    """
    from reviewgpt.crawl import list_venues as list_server_venues
    from reviewgpt.crawl import run
    from reviewgpt.errors import ConfigError

    if venue_filter is not None and not list_venues:
        raise ConfigError(f"unexpected argument {venue_filter!r}: FILTER goes with --list-venues; venues go with --venue")
    cfg = options.build(CrawlConfig, source=source, path=path, venues=venue or None, since_last=since_last, pdfs=pdfs,
                        api=api, baseurl=baseurl, baseurl_v2=baseurl_v2, rate=rate, concurrency=concurrency)
    if list_venues:
        for venue_id in list_server_venues(cfg, venue_filter):
            typer.echo(venue_id)
        return
    execute(run, cfg)
