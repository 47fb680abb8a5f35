"""Browser tests: the real `dinghuo serve` on a free port, a real database, headless Chromium.

The server runs as a subprocess on its own database — a fresh SQLite file, or a fresh PostgreSQL
database when DATABASE_URL points at PostgreSQL — loaded with the demo (DINGHUO_DEMO_HISTORY=1
keeps its history short). Every page a test visits is watched for console errors and failed
requests, which fail the test; screenshots go to test-artifacts/browser/<test>/.

Without Chromium (Debian's `chromium` at /usr/bin/chromium) these tests are skipped and the test
summary says so; with DINGHUO_REQUIRE_BROWSER=1 (as .ci/run sets) a missing browser is an error.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("DINGHUO_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "Qingquan#2026"
CLI = [sys.executable, "-m", "dinghuo.cli"]
_skipped_reason: list[str] = []


def _have_browser() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def pytest_collection_modifyitems(config, items):
    browser_items = [i for i in items if "tests/browser/" in str(i.fspath).replace("\\", "/")]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.timeout(1200))  # the first test also waits for the server and the demo
    if browser_items and not _have_browser():
        if os.environ.get("DINGHUO_REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(f"Chromium is required here but was not found at {CHROMIUM}")
        reason = f"Chromium not found at {CHROMIUM} (apt install chromium): browser tests skipped"
        _skipped_reason.append(reason)
        for item in browser_items:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter):
    if _skipped_reason:
        terminalreporter.write_line(f"NOTE: {_skipped_reason[0]}", yellow=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DJANGO_SETTINGS_MODULE"}}
    env.update({"DINGHUO_DATA_DIR": str(tmp), "DATABASE_URL": database_url, "DINGHUO_ENV": "development",
                "DINGHUO_DEMO_HISTORY": "1", "DINGHUO_LOGIN_THROTTLE_LIMIT": "1000"})  # fmt: skip
    return env


@pytest.fixture(scope="session")
def server_env(tmp_path_factory):
    """The environment of the server's commands: its own database (a fresh SQLite file, or a fresh
    PostgreSQL database when DATABASE_URL points at PostgreSQL) set up and loaded with the demo."""
    tmp = tmp_path_factory.mktemp("server")
    base_url = os.environ.get("DATABASE_URL", "")
    pg_name = None
    if base_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        pg_name = f"dinghuo_browser_{uuid.uuid4().hex[:8]}"
        admin_url = re.sub(r"/[^/?]*(\?|$)", r"/postgres\1", base_url, count=1)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        database_url = re.sub(r"/[^/?]*(\?|$)", rf"/{pg_name}\1", base_url, count=1)
    else:
        database_url = f"sqlite:///{tmp / 'browser.sqlite3'}"
    env = _env(tmp, database_url)
    for args in (["setup"], ["demo"]):
        done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"dinghuo {args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    yield env
    if pg_name:
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _stop(proc: subprocess.Popen, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def server(server_env):
    """Base URL of a running `dinghuo serve` with the demo loaded."""
    tmp = Path(server_env["DINGHUO_DATA_DIR"])
    port = _free_port()
    log = open(tmp / "server.log", "w")  # noqa: SIM115 — closed at teardown
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2", "--threads", "4"], env=server_env,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded CI machine may take a while to start the workers
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:  # noqa: S310 — our own local server
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()
            log.flush()
            tail = (tmp / "server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the server did not start (exit code {proc.poll()}):\n{tail}")
    yield url
    _stop(proc, log)


@pytest.fixture(scope="session")
def worker(server_env):
    """`dinghuo worker` on the server's database and data directory: imports run in the background."""
    log = open(Path(server_env["DINGHUO_DATA_DIR"]) / "worker.log", "w")  # noqa: SIM115 — closed at teardown
    proc = subprocess.Popen([*CLI, "worker"], env=server_env, stdout=log, stderr=subprocess.STDOUT)
    yield proc
    _stop(proc, log)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=FLAGS
        )
        yield b
        b.close()


class Watched:
    """A page plus what went wrong on it: console errors, failed requests, 5xx responses."""

    def __init__(self, page, base_url: str, folder: Path):
        self.page, self.base_url, self.folder, self.problems, self._n = page, base_url, folder, [], 0
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _failed(self, request) -> None:
        # ERR_ABORTED: the page navigated away while a request was in flight (not a failure)
        if "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response) -> None:
        # a page answering 4xx may be the point of a test; a missing script, style or image is a bug
        if response.status >= 500 or (response.status >= 400 and response.request.resource_type != "document"):
            self.problems.append(f"HTTP {response.status} {response.request.resource_type} {response.url}")

    def go(self, path: str):
        return self.page.goto(self.base_url + path)

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        assert "/accounts/login/" not in self.page.url, f"login failed for {username}"

    def assert_fits(self) -> None:
        """Nothing sticks out sideways: the page scrolls only vertically (a phone layout that works)."""
        width, viewport = self.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= viewport + 1, f"{self.page.url} is {width}px wide in a {viewport}px viewport"

    def shot(self, name: str) -> Path:
        self._n += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self._n:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _watched(browser, server, request, **context):
    ctx = browser.new_context(locale="zh-CN", **context)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)  # the artifacts show this run, never an older one
    watched = Watched(page, server, folder)
    yield watched
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        watched.shot("failure")
    ctx.close()
    assert watched.problems == [], "\n".join(watched.problems)


@pytest.fixture
def page(browser, server, request):
    """A desktop browser page (1366×900) on the running server."""
    yield from _watched(browser, server, request, viewport={"width": 1366, "height": 900})


@pytest.fixture
def phone(browser, server, request):
    """A phone-sized page (390×844, touch) on the running server."""
    yield from _watched(browser, server, request, viewport={"width": 390, "height": 844}, is_mobile=True,
                        has_touch=True, device_scale_factor=2)  # fmt: skip


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
