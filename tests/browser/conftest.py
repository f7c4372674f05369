"""Browser harness: the test app served on a real socket, and headless Chromium driving it.

Tenants are addressed by host (`alpha-paws.localhost:<port>`); Chromium resolves every
`*.localhost` name to loopback, and the app's BASE_DOMAIN is `localhost`. Tables are truncated
between tests by the autouse `clean_state` fixture, so tests create their tenants with
`tenant_a` / `tenant_b` as usual.
"""
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.models import Role
from tests.conftest import PASSWORD, TenantFixture

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Ceilings so a broken page fails the test instead of hanging it; never asserted on.
ACTION_TIMEOUT_MS = 15_000
EXPECT_TIMEOUT_MS = 10_000
# Where a failing test's screenshots go (instance/ is git-ignored; CI may point it at its artifacts folder).
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS",
                                  Path(__file__).resolve().parents[2] / "instance" / "browser-screenshots"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so the page fixture knows whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def main_pages() -> dict[str, str]:
    """Main pages a story has reached (name -> URL); each is screenshotted again if the test fails."""
    return {}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "page"


def save_screenshots(tab, test_name: str, pages: dict[str, str]) -> list[Path]:
    """The page as it failed, then each main page the story reached, as full-page PNGs; returns the files."""
    folder = SCREENSHOTS / _slug(test_name)
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    shots = [("at-failure", None), *pages.items()]
    for n, (name, address) in enumerate(shots):
        target = folder / f"{n:02d}-{_slug(name)}.png"
        try:
            if address is not None:
                tab.goto(address)
            tab.screenshot(path=str(target), full_page=True)
            saved.append(target)
        except Exception:  # a screenshot must never hide the test's own failure
            continue
    return saved


@pytest.fixture(scope="module")
def live_server(app) -> Iterator[int]:
    """Serve the session's app on 127.0.0.1 with a free port, in a background thread; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="tailtown-live-server", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Debian Chromium for the whole run (never a downloaded browser)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of the test's page, in order."""
    return []


@pytest.fixture
def page(request, browser, live_server, console_errors, main_pages) -> Iterator[object]:
    """A page in a fresh browser context (no cookies, no storage) for each test.

    Whatever the test, a page must never hit a Content-Security-Policy violation or an uncaught
    JavaScript exception; that is checked when the test ends. When the test fails, screenshots of the
    page as it failed and of every main page it recorded in `main_pages` are saved under SCREENSHOTS.
    """
    context = browser.new_context()
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    tab.on("console", lambda msg: console_errors.append(f"console: {msg.text} [{msg.location.get('url', '')}]")
           if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            saved = save_screenshots(tab, request.node.name, main_pages)
            if saved:
                print(f"screenshots of the failure: {saved[0].parent}")
        context.close()
    broken = [e for e in console_errors if e.startswith("uncaught:") or "Content Security Policy" in e]
    assert not broken, f"page raised errors or CSP violations: {broken}"


@pytest.fixture
def url(live_server) -> Callable[..., str]:
    """`url("/login", tenant_a)` → http://alpha-paws.localhost:<port>/login; no tenant → the bare domain."""

    def build(path: str = "/", tenant: TenantFixture | None = None) -> str:
        host = tenant.host if tenant is not None else "localhost"
        return f"http://{host}:{live_server}{path}"

    return build


@pytest.fixture
def sign_in(page, url) -> Callable[..., None]:
    """Sign in through the real login form of a tenant's host and wait for the dashboard."""
    from playwright.sync_api import expect

    def submit(tenant: TenantFixture, role: Role = Role.ADMIN, password: str = PASSWORD) -> None:
        page.goto(url("/login", tenant))
        page.get_by_label("Email").fill(tenant.email(role))
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(tenant.name)

    return submit
