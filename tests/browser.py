"""Headless Chromium for the tests that look at a page as a reviewer does: Debian's
`chromium` and its `chromium-driver` (which `.ci/run` installs where apt-get is available),
driven by selenium with the system's chromedriver, so nothing is downloaded.

`start()` raises `Unavailable` with a sentence saying what is missing; the tests skip with
it, so a run without Chromium says plainly that the browser tests did not run. Screenshots
and pages a test keeps go to `output_dir()`, a folder CI keeps as an artifact."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Where a test leaves what a person or CI should see: RECONCILER_TEST_OUTPUT, else
# test-output/ at the top of the repository (ignored by git).
OUTPUT_VARIABLE = "RECONCILER_TEST_OUTPUT"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
# Debian puts the driver beside the browser too.
DRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
WINDOW = (1400, 2000)


class Unavailable(Exception):
    """No browser here: the sentence says what is missing and how to get it."""


def output_dir() -> Path:
    folder = Path(os.environ.get(OUTPUT_VARIABLE) or ROOT / "test-output")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _find(names: tuple[str, ...], paths: tuple[str, ...] = ()) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((path for path in paths if os.access(path, os.X_OK)), None)


def start() -> Any:
    """A headless Chromium under selenium's control (the caller quits it)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        raise Unavailable(f"selenium is not installed ({exc}): pip install -e '.[test]'") from exc
    browser = _find(BROWSERS)
    driver = _find(DRIVERS, DRIVER_PATHS)
    if browser is None or driver is None:
        missing = " and ".join(
            name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path
        )
        raise Unavailable(
            f"no {missing} on this machine: the browser tests did not run "
            "(Debian: apt-get install chromium chromium-driver; .ci/run does as root)"
        )
    options = webdriver.ChromeOptions()
    # Both paths given: selenium looks nothing up and downloads nothing.
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A browser that is there but does not start fails the test: only absence skips it.
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))
