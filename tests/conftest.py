import os
import shutil
from pathlib import Path

import pytest
from offline import assert_offline, watch_requests

from salesops_models.synthetic import generate_org

FIXTURES = Path(__file__).parent / "fixtures"
# fixture notebooks (one fails on purpose) are run by the engine tests, not by nbval
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(scope="session")
def small_org():
    """A small org shared by read-only tests (seconds to build)."""
    return generate_org(n_reps=24, years=2, seed=11)


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
#: Headless flags for this closed network (no background connections, no sandbox as root).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (CI installs it; required there)."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def assert_no_script(browser):
    """``check(html_path) -> page text``: fails if any CRM payload executed on the page (the
    hostile payloads set ``window.__pwned`` or open a dialog) or left live elements, or if
    the page requested anything that is not the file itself (:func:`assert_offline`)."""

    def check(html_path):
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        requests = watch_requests(page)
        page.goto(Path(html_path).as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        assert_offline(requests, html_path)
        pwned = page.evaluate("window.__pwned === undefined ? null : window.__pwned")
        live = page.evaluate(
            "Array.from(document.querySelectorAll('*')).filter(e => "
            "(e.tagName === 'SCRIPT' && e.textContent.includes('__pwned')) || "
            "Array.from(e.attributes).some(a => a.name.startsWith('on') && "
            "a.value.includes('__pwned'))).length"
        )
        text = page.inner_text("body")
        page.close()
        assert pwned is None and not dialogs, f"{html_path}: a payload ran ({pwned}, {dialogs})"
        assert live == 0, f"{html_path}: live payload elements in the DOM"
        return text

    return check
