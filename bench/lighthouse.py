"""Lighthouse (npm `lighthouse`, driven against Debian's Chromium) on the pages a delegate's
phone opens first: mobile performance, accessibility and best-practices scores, target ≥ 95.

The Makefile installs it under .cache/lighthouse (never served, never in the app); without
it the figures read "not available" and the rest of the bench goes on.
"""

from __future__ import annotations

import json
import subprocess

from .report import ROOT, Report, Target

CLI = ROOT / ".cache" / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices")
CHROMIUM = "/usr/bin/chromium"


def _scores(url: str) -> dict[str, float]:
    done = subprocess.run(
        ["node", str(CLI), url, f"--chrome-path={CHROMIUM}",
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
         f"--only-categories={','.join(CATEGORIES)}", "--form-factor=mobile",
         "--output=json", "--quiet"],
        capture_output=True, text=True, timeout=240,
    )
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-500:]}")
    categories = json.loads(done.stdout)["categories"]
    return {name: 100 * categories[name]["score"] for name in CATEGORIES}


def measure(report: Report, base_url: str, pages: dict[str, str]) -> None:
    """One Lighthouse run per page (mobile emulation: a mid-range phone on slow 4G)."""
    for name, path in pages.items():
        if not CLI.is_file():
            for category in CATEGORIES:
                report.unavailable(f"lighthouse.{name}.{category}",
                                   f"Lighthouse {path}: {category}", "score",
                                   "npm lighthouse is not installed (make bench installs it)")
            continue
        scores = _scores(base_url + path)
        for category in CATEGORIES:
            report.add(f"lighthouse.{name}.{category}", f"Lighthouse {path}: {category}",
                       "score", [scores[category]], target=Target(">=", 95),
                       note="mobile, Debian Chromium")
