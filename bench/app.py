"""App speed: first paint and payload in headless Chromium, re-run server time of widget changes.

Starts the app on a free port twice, as ``make run`` does (``python -m app.asgi``: st.App with gzip,
background warm-up and ``/health``) and, as the anchor of the same run, as it was started before
(``streamlit run streamlit_app.py``), each waited for until it says it is ready (``/health`` 200 for
the ASGI entry, ``/_stcore/health`` for the anchor). Then with Debian's Chromium (network limited to
127.0.0.1, as in the browser tests):
* first paint: from navigation until every default layer is drawn on the map (the last layer's
  paths are attached), for the first visitor of the fresh server, for new visitors of the now warm
  servers (empty browser cache; five each, alternating between the two servers, median) and for a
  visitor coming back (Streamlit's scripts cached: they are immutable);
* payload of a new visitor: bytes received over HTTP as Chromium counts them (compressed size:
  Streamlit's scripts, the vendored Leaflet, the offline basemap when tiles fail; nothing for what
  comes from the browser cache) and over the websocket (the app's content: Playwright reports it
  inflated, so each message is deflated again as the server's permessage-deflate does, each on its
  own: an upper bound), and the size of the map document itself;
Server time of a re-run after a widget change (a filter, a tab switch, a corridor width) is measured
in-process with Streamlit's AppTest, median of five, after one warm-up.
Targets: new-visitor payload <= 2 MB; first visitor of a fresh server <= 3 s after ready; new visitor
of a warm server <= 2.5 s; re-run <= 300 ms.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(entry: str) -> tuple[subprocess.Popen, str, float]:
    """Start ``entry`` (``asgi`` or ``streamlit run``); its URL and the seconds until it said it was ready."""
    port = _free_port()
    if entry == "asgi":
        cmd = [sys.executable, "-m", "app.asgi", "--port", str(port), "--address", "127.0.0.1"]
        ready = "/health"
    else:
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py")]
        cmd += ["--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1"]
        ready = "/_stcore/health"
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ}
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}{ready}", timeout=5):
                return proc, url, time.perf_counter() - start
        except OSError:  # not listening yet, or 503 while warming up
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the app ({entry}) did not get ready on {url}")


def _context(browser):
    """A browser profile of its own (empty cache). The network is limited to the app by the browser's
    host resolver (see main), not by Playwright's routing, which would turn the HTTP cache off."""
    return browser.new_context(viewport={"width": 1400, "height": 1000})


def _deflated_size(message: bytes) -> int:
    """Bytes of ``message`` after permessage-deflate as the server negotiates it (``server_max_window_bits
    =12``, level 6), each message on its own: an upper bound, the real stream also reuses earlier ones."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -12, 5)
    return len(compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)) - 4


def _visit(context, url: str) -> dict[str, float]:
    page = context.new_page()
    sizes = {"http": 0, "ws": 0, "ws_deflated": 0}

    def frame_received(payload) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        sizes["ws"] += len(data)
        sizes["ws_deflated"] += _deflated_size(data)

    # bytes as received (Chromium's encodedDataLength: compressed size, 0 when served from the cache)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.loadingFinished",
        lambda event: sizes.__setitem__("http", sizes["http"] + event["encodedDataLength"]),
    )
    page.on("websocket", lambda ws: ws.on("framereceived", frame_received))
    start = time.perf_counter()
    page.goto(url)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=120_000)
    frame.locator(".ma-cluster, .marker-cluster, .leaflet-marker-icon").first.wait_for(
        state="attached", timeout=120_000
    )
    paint_s = time.perf_counter() - start
    page.wait_for_timeout(1500)  # let the last websocket deltas arrive
    page.close()
    return {
        "paint_s": paint_s,
        "http_mb": sizes["http"] / 1e6,
        "ws_mb": sizes["ws"] / 1e6,
        "ws_deflated_mb": sizes["ws_deflated"] / 1e6,
    }


def _map_html_mb() -> float:
    """Size of the Map tab's folium document with every default layer."""
    sys.path.insert(0, str(ROOT))
    import layers
    from layers.map import build_map

    shown = {n: layers.load(n) for n in layers.names() if n != "countries"}
    return len(build_map(shown).get_root().render()) / 1e6


def _rerun_ms() -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300).run()

    def timed(change) -> float:
        times = []
        for i in range(6):
            change(at, i)
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        return statistics.median(times[1:]) * 1000

    return {
        "filter (Map tab)": timed(
            lambda a, i: a.sidebar.multiselect(key="filter_kind").set_value(["refining"] if i % 2 else [])
        ),
        "basemap (Map tab)": timed(
            lambda a, i: a.sidebar.radio(key="basemap").set_value(
                a.sidebar.radio(key="basemap").options[i % 2]
            )
        ),
        "corridor width (Corridors tab)": timed(
            lambda a, i: (
                a.session_state.__setitem__("tab", "Corridors"),
                a.session_state.__setitem__("corridor_width", 25 + 5 * (i % 2)),
            )
        ),
        "route tonnes (Routes tab)": timed(
            lambda a, i: (
                a.session_state.__setitem__("tab", "Routes"),
                a.session_state.__setitem__("route_tonnes", 10.0 + i % 2),
            )
        ),
    }


#: The entries compared: the ASGI entry of ``make run`` and, as the anchor, ``streamlit run``.
ENTRIES: tuple[str, ...] = ("asgi", "streamlit run")
#: New visitors per warm server, alternating between the entries so the machine's load weighs on both.
WARM_VISITS = 5


def _visit_once(browser, url: str) -> dict[str, float]:
    context = _context(browser)
    try:
        return _visit(context, url)
    finally:
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict] = {entry: {} for entry in ENTRIES}
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        try:
            for entry in ENTRIES:
                proc, url, ready_s = _serve(entry)
                servers[entry] = (proc, url)
                results[entry]["ready_s"] = ready_s
                results[entry]["first"] = _visit_once(browser, url)  # the first visitor of the fresh server
            warm: dict[str, list[dict[str, float]]] = {entry: [] for entry in ENTRIES}
            for _ in range(WARM_VISITS):
                for entry in ENTRIES:  # new visitors (empty cache) of the warm servers, in turn
                    warm[entry].append(_visit_once(browser, servers[entry][1]))
            for entry in ENTRIES:
                visits = sorted(warm[entry], key=lambda v: v["paint_s"])
                results[entry]["second"] = visits[len(visits) // 2]  # the median visit
                results[entry]["spread"] = (visits[0]["paint_s"], visits[-1]["paint_s"])
                returning = _context(browser)
                _visit(returning, servers[entry][1])
                results[entry]["again"] = _visit(returning, servers[entry][1])  # scripts from the cache
                returning.close()
        finally:
            browser.close()
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(timeout=20)
    for entry, r in results.items():
        first, second, again = r["first"], r["second"], r["again"]
        target = entry == "asgi"
        label = (
            "python -m app.asgi (make run)"
            if target
            else "streamlit run streamlit_app.py (anchor, as before)"
        )
        print(f"== {label}")
        print(f"ready after start                            : {r['ready_s']:.2f} s")
        print(
            f"first paint, first visitor of a fresh server : {first['paint_s']:.2f} s"
            + (" (target <= 3 s after ready)" if target else "")
        )
        low, high = r["spread"]
        print(
            f"first paint, new visitor of a warm server    : {second['paint_s']:.2f} s"
            f" (median of {WARM_VISITS}, {low:.2f}-{high:.2f})" + (" (target <= 2.5 s)" if target else "")
        )
        print(f"payload of a new visitor, HTTP (as received) : {second['http_mb']:.2f} MB")
        print(
            f"payload of a new visitor, websocket          : {second['ws_deflated_mb']:.2f} MB deflated"
            f" ({second['ws_mb']:.2f} MB before)"
        )
        print(
            f"payload of a new visitor, total transferred  : {second['http_mb'] + second['ws_deflated_mb']:.2f} MB"
            + (" (target <= 2 MB)" if target else "")
        )
        print(
            f"returning visitor (browser cache)            : first paint {again['paint_s']:.2f} s,"
            f" payload {again['http_mb'] + again['ws_deflated_mb']:.2f} MB"
        )
    asgi, anchor = results["asgi"], results["streamlit run"]
    print("== ratios, app.asgi / streamlit run (same run)")
    for what, key in (
        ("first visitor of a fresh server", "first"),
        ("new visitor of a warm server", "second"),
    ):
        print(f"first paint, {what:<32}: {asgi[key]['paint_s'] / anchor[key]['paint_s']:.2f}")
    http = asgi["second"]["http_mb"] / anchor["second"]["http_mb"]
    print(f"HTTP payload of a new visitor                : {http:.2f}")
    print(
        f"map document with the default layers         : {_map_html_mb():.2f} MB (inside the websocket payload)"
    )
    for what, ms in _rerun_ms().items():
        print(f"re-run after a change, {what:<23}: {ms:.0f} ms server time (target <= 300 ms)")


if __name__ == "__main__":
    main()
