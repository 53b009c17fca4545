"""Screenshots of the search and cable pages from headless Chromium, for the docs.

    python bench/web_screenshots.py http://127.0.0.1:8080 --out docs \
        --query 'belarus tag:PREL' --cable 08TRIPOLI870

Serve an index first (`cablesearch serve --index DIR`). Uses Debian's chromium and
/usr/bin/chromedriver (never a downloaded driver) with no network of its own.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")


def chromium(profile: str, width: int = 1280, height: int = 900):
    """A headless Chromium driven through Debian's chromedriver, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the server's URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--out", default="docs", help="folder for search-page.png and cable-page.png")
    parser.add_argument("--query", default="belarus tag:PREL")
    parser.add_argument("--cable", default="08TRIPOLI870")
    parser.add_argument("--height", type=int, default=1300, help="window height in pixels")
    args = parser.parse_args(argv)
    base = args.base.rstrip("/")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium(profile, 1280, args.height)
        try:
            driver.get(f"{base}/?{urlencode({'q': args.query})}")
            driver.save_screenshot(str(out / "search-page.png"))
            driver.get(f"{base}/cable/{quote(args.cable)}?{urlencode({'q': args.query})}")
            driver.save_screenshot(str(out / "cable-page.png"))
        finally:
            driver.quit()
    print(f"wrote {out / 'search-page.png'} and {out / 'cable-page.png'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
