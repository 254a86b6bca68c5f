"""Headless Chromium for tests: Debian's /usr/bin/chromium, which `.ci/run` installs.

Locally a test that needs it is skipped when Chromium is absent; with ZHEN_REQUIRE_BROWSER=1 (set by CI)
it fails instead, so a browser test can never silently pass by not running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("ZHEN_REQUIRE_BROWSER") == "1":
        pytest.fail("chromium is required (ZHEN_REQUIRE_BROWSER=1) but not installed")
    pytest.skip("chromium not installed (apt-get install chromium); CI installs it")


def screenshot(url: str, out: Path, tmp: Path, size: str = "1200,2000") -> Path:
    """Render `url` headless and write a PNG; raises if Chromium produced nothing."""
    subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp / 'chromium-profile'}", f"--window-size={size}",
                    f"--screenshot={out}", url], check=True, capture_output=True, timeout=120)
    assert out.exists() and out.stat().st_size > 0
    return out


@contextmanager
def review_page(url: str) -> Iterator:
    """A Playwright page on a review page (`url`), its rows loaded, in Debian's Chromium."""
    exe = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=FLAGS[1:])
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#rows tr")
        yield page
        browser.close()
