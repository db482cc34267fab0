#!/usr/bin/env bash
# Nightly incremental crawl: ask OpenReview only for notes created or modified since the last crawl,
# merge them into its records and write a new version (data/crawl/<date>/), moving data/crawl/LATEST.
#
# crontab line (03:15 every night; adjust the paths):
#   15 3 * * *  /path/to/reviewgpt/scripts/recrawl-cron.sh >> /path/to/reviewgpt/data/recrawl.log 2>&1
#
# Environment (all optional):
#   REVIEWGPT_HOME       repository root            [default: the folder above this script]
#   REVIEWGPT_DATA_DIR   data root                  [default: $REVIEWGPT_HOME/data]
#   REVIEWGPT_BIN        the reviewgpt command      [default: $REVIEWGPT_HOME/.venv/bin/reviewgpt, else reviewgpt on PATH]
#   OPENREVIEW_USERNAME / OPENREVIEW_PASSWORD   log in instead of guest access (never logged)
# Extra arguments are passed on, e.g. `recrawl-cron.sh --venue ICLR.cc/2025/Conference --no-pdfs`.
# The first run (no previous crawl yet) needs --venue; later runs recrawl the previous crawl's venues.
set -euo pipefail

REVIEWGPT_HOME="${REVIEWGPT_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export REVIEWGPT_DATA_DIR="${REVIEWGPT_DATA_DIR:-$REVIEWGPT_HOME/data}"
BIN="${REVIEWGPT_BIN:-$REVIEWGPT_HOME/.venv/bin/reviewgpt}"
[ -x "$BIN" ] || BIN="$(command -v reviewgpt)"

mkdir -p "$REVIEWGPT_DATA_DIR"
VERSION="$(date -u +%Y%m%d-%H%M%S)"
echo "[$(date -u +%FT%TZ)] recrawl $VERSION into $REVIEWGPT_DATA_DIR"

# flock: if last night's crawl is still running, skip this one instead of piling up.
exec 9>"$REVIEWGPT_DATA_DIR/.recrawl.lock"
if ! flock -n 9; then
    echo "a previous recrawl still holds $REVIEWGPT_DATA_DIR/.recrawl.lock; skipping"
    exit 0
fi

status=0
"$BIN" crawl --since-last --version "$VERSION" "$@" || status=$?
echo "[$(date -u +%FT%TZ)] recrawl $VERSION exit $status"
exit $status
