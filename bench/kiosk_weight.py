"""Weigh what a tablet downloads to show a child the kiosk's first question.

Starts the real app on 127.0.0.1 with its own SQLite database (as the browser
tests do: tests/browser/live.py) and a launch of `needs` for band 6-8, the
heaviest page since every prompt carries pinyin. A real Chromium loads
/k/<code>, taps 开始 and waits for the first question; every request the page
made is listed with its body's size as served and gzipped at level 6. The
development server sends bodies uncompressed, so each body is gzipped here,
as a production server in front of the app would. The last line is
`kiosk_bytes=N`, the gzipped total; the exit status is 1 above the target.

Run from the repository root: .venv/bin/python -m bench.kiosk_weight
"""

import gzip
import logging
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
BAND = "6-8"
TARGET = 150_000


def weigh(server, browser):
    """Return (type, path, raw bytes, gzipped bytes) of every request made."""
    from tests.browser.live import TABLET

    context = browser.new_context(**TABLET)
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(server.kiosk_url(BAND))
    page.get_by_test_id("start").tap()
    page.get_by_test_id("prompt").wait_for(state="visible")
    page.wait_for_load_state("networkidle")

    rows = []
    for request in finished:
        response = request.response()
        body = response.body() if response is not None else b""
        packed = len(gzip.compress(body, compresslevel=6))
        rows.append(
            (request.resource_type, urlsplit(request.url).path, len(body), packed)
        )
    context.close()
    return rows


def table(rows):
    """Return the rows as a plain-text table with a total line."""
    lines = [f"{'type':<11}{'path':<34}{'bytes':>9}{'gzip -6':>9}"]
    for kind, path, raw, packed in rows:
        lines.append(f"{kind:<11}{path[:33]:<34}{raw:>9,}{packed:>9,}")
    raw_total = sum(row[2] for row in rows)
    packed_total = sum(row[3] for row in rows)
    lines.append(f"{'total':<45}{raw_total:>9,}{packed_total:>9,}")
    return "\n".join(lines)


def main():
    """Serve the app, weigh the kiosk and report; return the exit status."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from tests.browser.live import LiveServer, launch_chromium, missing_browser

    reason = missing_browser()
    if reason:
        sys.stderr.write(f"cannot weigh the kiosk: {reason}\n")
        return 2

    with tempfile.TemporaryDirectory() as folder:
        server = LiveServer(Path(folder), survey_key="needs", bands=(BAND,)).start()
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                rows = weigh(server, browser)
                browser.close()
        finally:
            server.stop()

    total = sum(row[3] for row in rows)
    verdict = "within" if total <= TARGET else "OVER"
    sys.stdout.write(
        f"kiosk of `needs` for band {BAND}, first question shown; bodies gzipped"
        " here at level 6 (the development server sends them uncompressed)\n"
        f"{table(rows)}\n{verdict} the target of {TARGET:,} bytes\n"
        f"kiosk_bytes={total}\n"
    )
    log.info("Kiosk weighed: %s requests", len(rows))
    return 0 if total <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
