"""Shared fixtures: small seeded frames, a hostile data folder, and a running app for browser tests."""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import _postgis
import geopandas as gpd
import pytest
import shapely

from geo.settings import DATA_DIR, PROJECT_DIR

CHROMIUM = Path("/usr/bin/chromium")
XSS_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def private_workspace(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty workspace GeoPackage path."""
    path = tmp_path / "workspace" / "workspace.gpkg"
    monkeypatch.setenv("MINERAL_ATLAS_WORKSPACE", str(path))
    return path


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """A throwaway PostgreSQL 15 + PostGIS 3 cluster (see ``tests/_postgis.py``): its database URL.

    Without Debian's postgresql-15 and postgresql-15-postgis-3 (``make postgis``) the tests that use it
    fail on CI (``CI=true``) and are skipped, saying why, elsewhere.
    """
    reason = _postgis.missing()
    if reason:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"PostGIS tests cannot run on CI: {reason}")
        pytest.skip(f"PostGIS tests skipped: {reason}")
    with _postgis.cluster() as url:
        try:
            yield url
        finally:
            from app.store._postgis import dispose_engines

            dispose_engines()


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    """Three facilities in EPSG:4326 with the record schema."""
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["Alpha", "Beta", "Gamma"],
            "operator": ["Op", "", "Op"],
            "kind": ["recycling", "refining", "port"],
            "materials": ["Li;Co", "Ni", ""],
            "status": ["operating", "planned", "operating"],
            "country": ["IN", "JP", "US"],
            "source": ["https://example.org/a", "Article — Outlet", "Article"],
            "source_date": ["2025-07-10", "2025-04", "2024"],
            "location_precision": ["town", "site", "region"],
            "notes": ["", "", ""],
        },
        geometry=[shapely.Point(77.5, 28.47), shapely.Point(133.28, 33.96), shapely.Point(-119.44, 39.54)],
        crs="EPSG:4326",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_app(data_dir: Path, log: Path, **extra_env: str) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "MINERAL_ATLAS_DATA_DIR": str(data_dir),
        "MINERAL_ATLAS_WORKSPACE": str(log.parent / "workspace.gpkg"),
        **extra_env,
    }
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_DIR / "streamlit_app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            proc.terminate()
            pytest.fail(f"streamlit did not start on {url}: {log.read_text()[-2000:]}")
        try:
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the shipped data, on a free port."""
    yield from _start_app(DATA_DIR, tmp_path_factory.mktemp("app") / "streamlit.log")


@pytest.fixture(scope="session")
def team_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app behind a (simulated) authenticating proxy: the user comes from ``X-Forwarded-User``."""
    log = tmp_path_factory.mktemp("team-app") / "streamlit.log"
    yield from _start_app(DATA_DIR, log, MINERAL_ATLAS_USER_HEADER="X-Forwarded-User")


@pytest.fixture(scope="session")
def hostile_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the data with a facility whose properties are markup and a javascript: URL."""
    data = tmp_path_factory.mktemp("hostile-data")
    shutil.copytree(DATA_DIR, data, dirs_exist_ok=True)
    _append_csv(
        data / "facilities.csv",
        ["xss-test", XSS_NAME, "<script>alert(2)</script>", "", "recycling", "Li", "operating", "", "IN"]
        + ["80.0", "20.0", "town", "assumed: test point", "<b onmouseover=alert(4)>bold</b>"],
    )
    _append_csv(
        data / "sources.csv",
        ["xss-source", "<i>Hostile</i> Times", XSS_QUOTE, "", "2025-01-01", XSS_URL, "news"],
    )
    for field in ("status", "kind", "location"):
        _append_csv(data / "claims.csv", ["xss-test", field, "reported", "xss-source", XSS_QUOTE, ""])
    _append_csv(data / "claims.csv", ["xss-test", "materials", "assumed", "", "", "<u>because</u>"])
    yield from _start_app(data, tmp_path_factory.mktemp("hostile-app") / "streamlit.log")


#: A claim's quote that is markup and a javascript: URL, and the http(s) source address it cites.
XSS_QUOTE = "javascript:alert(3) <img src=x onerror=alert(6)>"
XSS_URL = "https://example.org/a?x=1&y=2"


def _append_csv(path: Path, row: list[str]) -> None:
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(row)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, with no network beyond this machine."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page whose requests leave the machine never: anything not on 127.0.0.1 is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            return r.continue_()
        blocked.append(url)
        return r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.blocked = blocked
    yield pg
    context.close()


@pytest.fixture(scope="session")
def atlas_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The ASGI entry (``python -m app.asgi``, as ``make run`` starts it) on a free port, once ``/health``
    says it is warm: ``url``, and the ``/health`` statuses seen while it warmed up."""
    folder = tmp_path_factory.mktemp("asgi")
    log = folder / "server.log"
    port = _free_port()
    env = {**os.environ, "MINERAL_ATLAS_WORKSPACE": str(folder / "workspace.gpkg")}
    cmd = [sys.executable, "-m", "app.asgi", "--port", str(port), "--address", "127.0.0.1"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        seen: list[int] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as resp:
                    seen.append(resp.status)
                    break
            except urllib.error.HTTPError as exc:
                seen.append(exc.code)
            except OSError:
                pass
            time.sleep(0.1)
        else:
            proc.terminate()
            pytest.fail(f"the ASGI server did not get warm on {url}: {log.read_text()[-3000:]}")
        try:
            yield {"url": url, "health_seen": seen, "log": log}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def settled(page, *, quiet_ms: int = 1000, timeout_ms: int = 90_000) -> None:
    """Wait until the app has no run going and none starts within ``quiet_ms``.

    The map reports its first view a moment after it is drawn, which runs the page again; a click
    during that run may land on a widget the run replaces, or ask for a download whose file the run
    releases (the browser then cancels it).
    """
    from playwright.sync_api import expect

    status = page.get_by_test_id("stStatusWidget")
    for _ in range(10):
        expect(status).to_be_hidden(timeout=timeout_ms)
        page.wait_for_timeout(quiet_ms)
        if not status.is_visible():
            return
