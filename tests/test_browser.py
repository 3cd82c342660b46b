"""End to end in Debian's Chromium (Playwright), the app on a free port, no network beyond this machine."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from layers import palette
from tests.conftest import XSS_NAME, XSS_QUOTE, XSS_URL, settled

pytestmark = pytest.mark.browser

MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def _map(page):
    """The st_folium map of the open tab: only the open tab runs, and the Map tab's stale map (the
    first panel) is removed once the run ends; locators re-resolve on every retry."""
    return page.frame_locator(MAP_FRAME).last


def _open(page, url: str):
    page.goto(url)
    page.wait_for_selector(MAP_FRAME, timeout=90_000)
    if "basemap=" not in url:  # tiles cannot load here: the page falls back to the offline basemap once
        page.get_by_text("OpenStreetMap tiles could not be loaded here").wait_for(
            state="attached", timeout=60_000
        )
        expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=30_000)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=60_000)
    return frame


#: Finds the point feature whose tooltip holds ``needle``; step "zoom" zooms in on it (markercluster's
#: zoomToShowLayer is not used: a zoom that changes nothing fires no zoomend, so it never calls back);
#: step "open" spiderfies the cluster still holding it (points on one spot) and opens it as a click would.
_FEATURE_JS = """async ([needle, step]) => {
    const seen = new Set();
    const visit = (layer) => {
        if (!layer || seen.has(layer)) return null;
        seen.add(layer);
        const props = layer.feature && layer.feature.properties;
        if (props && layer.getLatLng && String(props._tooltip).includes(needle)) return layer;
        if (layer.getLayers) {
            for (const child of layer.getLayers()) { const hit = visit(child); if (hit) return hit; }
        }
        return null;
    };
    const map = window.map;
    let hit = null;
    map.eachLayer(l => { hit = hit || visit(l); });
    if (!hit) return false;
    const shown = () => map.hasLayer(hit);
    if (step === "zoom") {
        if (!shown()) map.setView(hit.getLatLng(), map.getMaxZoom(), {animate: false});
        return true;
    }
    const group = Object.values(map._layers).find(l => l.getVisibleParent && l.hasLayer(hit));
    const parent = !shown() && group && group.getVisibleParent(hit);
    if (parent && parent.spiderfy) parent.spiderfy();
    for (let t = 0; t < 10000 && !shown(); t += 100) await new Promise(r => setTimeout(r, 100));
    if (!shown()) return false;
    hit.openTooltip();
    hit.fire('click', {latlng: hit.getLatLng()});
    return true;
}"""


def _open_feature(page, needle: str) -> bool:
    """Find the point feature whose tooltip contains ``needle`` among the map's layers, zoom until its
    cluster lets go of it and open its tooltip and popup as a click would. The app hears of the new view
    and runs again, which may draw the map anew: the feature is looked up again after that run."""

    def run(step: str) -> bool:
        map_frame = next(f for f in page.frames if "streamlit_folium" in f.url)
        return bool(map_frame.evaluate(_FEATURE_JS, [needle, step]))

    if not run("zoom"):
        return False
    settled(page)
    _map(page).locator(".leaflet-container").wait_for(timeout=30_000)
    return run("open")


def _caption(page) -> str:
    return page.locator("[data-testid='stCaptionContainer']", has_text="Showing").first.inner_text()


def test_map_renders_offline_with_every_layer(page, app_url):
    frame = _open(page, app_url)
    # markers and clusters are in the DOM: ports, block polygons and their markers, clustered
    # facilities and cities
    expect(frame.locator(f"path[fill='{palette.PORT}']").first).to_be_attached(timeout=30_000)
    assert frame.locator(f"path[fill='{palette.PORT}']").count() >= 10  # ports (some in clusters)
    assert (
        frame.locator(f"path[fill='{palette.LITHIUM_FILL}']").count() == 4
    )  # two blocks: polygon + marker each
    assert frame.locator(".ma-cluster").count() > 3
    control = frame.locator(".leaflet-control-layers").text_content()
    for title in (
        "Facilities",
        "Lithium blocks",
        "Ports",
        "Feedstock demand",
        "OpenStreetMap",
        "Offline (Natural Earth)",
    ):
        assert title in control
    # tiles cannot load here, so the page has switched to the tile-free basemap by itself
    frame.locator(".leaflet-control-layers-base input:checked + span", has_text="Offline").wait_for(
        state="attached", timeout=20_000
    )
    page.get_by_text("OpenStreetMap tiles could not be loaded here").wait_for(
        timeout=30_000
    )  # the sidebar says so
    expect(frame.locator("path[fill='#f3efe6']").first).to_be_attached(
        timeout=20_000
    )  # the countries, fetched from the app
    assert frame.locator("path[fill='#f3efe6']").count() > 200
    assert frame.locator(".ma-legend").inner_text().count("\n") >= 5
    assert frame.locator(".leaflet-control-layers-expanded").count() == 0  # the layer control is collapsed
    # nothing the map needs came from outside: the only blocked requests are basemap tiles
    assert page.blocked, "expected the OpenStreetMap tile requests to be blocked"
    assert all(re.match(r"https://tile\.openstreetmap\.org/\d+/\d+/\d+\.png", u) for u in page.blocked), (
        page.blocked[:5]
    )


def test_filter_changes_map_and_table(page, app_url):
    _open(page, app_url)
    before = _caption(page)
    assert "Facilities: 41" in before
    page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']", has_text="Kind").locator(
        "input"
    ).click()
    page.keyboard.type("refining")
    page.keyboard.press("Enter")
    page.locator("[data-testid='stCaptionContainer']", has_text="Facilities: 8").wait_for(timeout=30_000)
    after = _caption(page)
    assert "Ports: 0" in after and "Feedstock demand (cities): 0" in after
    # routes carry no kind: the filter leaves them shown
    routes = int(re.search(r"Logistics routes: (\d+)", after).group(1))
    assert routes > 0
    page.get_by_text("Attribute table").click()
    grid = page.locator("[data-testid='stDataFrame'] [aria-rowcount]").first
    expect(grid).to_have_attribute("aria-rowcount", str(8 + routes + 1), timeout=30_000)  # rows + header


def test_geojson_download_parses(page, app_url):
    _open(page, app_url)
    settled(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=re.compile(r"^Facilities \(41\)")).click()
    download = info.value
    doc = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["features"]) == 41
    assert all(f["properties"]["source"] and f["properties"]["location_precision"] for f in doc["features"])
    assert download.suggested_filename == "facilities.geojson"


def test_markup_in_properties_is_shown_as_text(page, hostile_app_url):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    frame = _open(page, hostile_app_url)
    found = _open_feature(page, "onerror=alert(1)")
    assert found, "hostile facility not found on the map"
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=10_000)
    assert XSS_NAME in tooltip.first.inner_text()
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    assert XSS_NAME in text and "<script>alert(2)</script>" in text and "javascript:alert(3)" in text
    # the claims' quotes and reasons are shown as text, their source linked only by its https address
    assert XSS_QUOTE in text and "<u>because</u>" in text and "<i>Hostile</i> Times" in text
    assert popup.locator("img, script, b[onmouseover], u, i:text('Hostile')").count() == 0
    assert popup.locator("a[href^='javascript']").count() == 0
    assert popup.locator(f"a[href='{XSS_URL}']").count() >= 1
    assert "assumed: materials" in tooltip.first.inner_text()
    page.wait_for_timeout(500)
    assert dialogs == []


def test_popup_shows_the_quote_and_source_of_each_claim(page, app_url):
    frame = _open(page, app_url)
    assert _open_feature(page, "Lohum lithium refinery (Greater Noida)"), "facility not found on the map"
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    # the status with its verbatim quote and its source, linked; the capacity marked assumed with the reason
    assert "Lohum currently operates eight facilities" in text and "The Machine Maker" in text
    assert popup.locator("a[href^='https://themachinemaker.com/']").count() >= 1
    assert "assumed:" in text and "1,000 t/yr" in text
    tooltip = frame.locator(".leaflet-tooltip").first.inner_text()
    assert "assumed: capacity" in tooltip


def test_proximity_tab(page, app_url):
    _open(page, app_url)
    page.get_by_role("tab", name="Proximity").click()
    frame = _map(page)
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    # one geodesic line per city to its nearest facility
    n_cities = 537
    lines = frame.locator(f"path[stroke='{palette.RESULT_LINE}']")
    expect(lines).to_have_count(n_cities, timeout=60_000)
    page.get_by_text("Nearest facilities of each feedstock demand (cities)").wait_for()
    # a range ring around a chosen facility
    page.locator("[data-testid='stSelectbox']", has_text="Range rings around").locator("input").click()
    page.keyboard.type("Lohum lithium refinery")
    page.keyboard.press("Enter")
    expect(frame.locator(f"path[stroke='{palette.RING}']")).to_have_count(3, timeout=60_000)
    # click the map (on the Arabian Sea, where no feature takes the click): a point drops and its
    # nearest facilities are listed
    map_frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    map_frame.evaluate("() => window.map.fire('click', {latlng: L.latLng(15.0, 65.0)})")
    page.get_by_text("Nearest to the clicked point").wait_for(timeout=60_000)
    expect(_map(page).locator(".ma-click")).to_have_count(1, timeout=30_000)
    assert "prox_click=" in page.url  # the point is in the link
    clicked_table = page.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("[aria-rowcount='6']")
    )
    expect(clicked_table).to_have_count(1, timeout=30_000)  # 5 nearest facilities + header
    # the result downloads as GeoJSON lines with distances in km
    settled(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=re.compile(r"^Nearest lines \(GEOJSON")).click()
    doc = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert len(doc["features"]) == n_cities
    first = doc["features"][0]
    assert first["geometry"]["type"] == "LineString"
    # Mumbai, the first city, has a facility placed at its own GeoNames point ("near Mumbai"): 0 km
    assert first["properties"]["distance_km"] >= 0 and first["properties"]["target_name"]
    assert all(f["properties"]["distance_km"] >= 0 for f in doc["features"])
    assert max(f["properties"]["distance_km"] for f in doc["features"]) > 100


def _upload(page, path: Path) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))


def test_import_bad_file_shows_message_then_swap_imports(page, app_url):
    _open(page, app_url)
    bad = Path(__file__).parent / "data" / "bad"
    _upload(page, bad / "zip_bomb.zip")
    page.get_by_text("Import failed: zip_bomb.zip: archive member 'bomb.shp' expands").wait_for(
        timeout=30_000
    )
    assert page.get_by_text("Traceback").count() == 0
    _upload(page, bad / "swapped_latlon.csv")
    page.get_by_text("they look like lat/lon swapped").wait_for(timeout=30_000)
    page.get_by_role("button", name="Swap lat/lon and import").click()
    page.get_by_text("Imported 2 features from swapped_latlon.csv").wait_for(timeout=30_000)
    page.locator("[data-testid='stCaptionContainer']", has_text="swapped_latlon: 2").wait_for(timeout=30_000)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-control-layers", has_text="swapped_latlon").wait_for(timeout=30_000)


def test_imported_markup_is_text(page, app_url, tmp_path):
    _open(page, app_url)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = tmp_path / "hostile.geojson"
    hostile.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": XSS_NAME, "note": "<script>alert(5)</script>"},
                        "geometry": {"type": "Point", "coordinates": [60.0, 10.0]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    _upload(page, hostile)
    page.get_by_text("Imported 1 feature from hostile.geojson").wait_for(timeout=30_000)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-control-layers", has_text="hostile").wait_for(timeout=30_000)
    opened = [
        f.evaluate("""() => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            let hit = false;
            map.eachLayer(l => {
                if (l.feature && String(l.feature.properties._tooltip).includes('onerror')) {
                    l.openPopup();
                    hit = true;
                }
            });
            return hit;
        }""")
        for f in page.frames
        if "streamlit_folium" in f.url
    ]
    assert any(opened)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert XSS_NAME in popup.inner_text() and "<script>alert(5)</script>" in popup.inner_text()
    assert popup.locator("img, script").count() == 0
    assert dialogs == []


def test_site_selection_tab(page, app_url):
    _open(page, app_url)
    page.get_by_role("tab", name="Site selection").click()
    settled(page)
    # busy: Streamlit's running indicator (with its Stop button) and a progress bar naming the step,
    # recorded as they appear (a quick scoring may show them for less than a second)
    page.evaluate(
        """() => {
        window.__maBusy = {status: false, steps: new Set()};
        const look = () => {
            if (document.querySelector("[data-testid='stStatusWidget']")) window.__maBusy.status = true;
            for (const m of document.body.innerText.matchAll(/Step (\\d) of 8: /g)) window.__maBusy.steps.add(m[1]);
        };
        new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
    }"""
    )
    page.get_by_role("button", name="Score the grid").click()
    page.get_by_text("Ranking stability").first.wait_for(timeout=120_000)
    busy = page.evaluate("() => ({status: window.__maBusy.status, steps: [...window.__maBusy.steps]})")
    assert busy["status"] and busy["steps"], busy
    frame = _map(page)
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    expect(frame.locator("path[stroke='#333333']")).to_have_count(
        200, timeout=60_000
    )  # the best 200 hexagons
    page.get_by_role("button", name="Choose sites").click()
    page.get_by_text("assigns all demand; see mean/max distance").wait_for(timeout=120_000)
    expect(_map(page).locator(".ma-site")).to_have_count(3, timeout=60_000)  # numbered chosen sites
    # two downloads clicked in quick succession both arrive: no click re-runs the page, so the
    # deferred file of "All scored cells" is still the one the browser asks for
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.get_by_role("button", name=re.compile(r"^Chosen sites")).click()
    page.get_by_role("button", name=re.compile(r"^All [\d,]+ scored cells")).click()
    deadline = 120
    while len(downloads) < 2 and deadline:
        page.wait_for_timeout(1000)
        deadline -= 1
    assert sorted(d.suggested_filename for d in downloads) == ["chosen-sites.geojson", "scored-cells.geojson"]
    cells = next(d for d in downloads if d.suggested_filename == "scored-cells.geojson")
    doc = json.loads(Path(cells.path()).read_text(encoding="utf-8"))
    assert len(doc["features"]) > 10_000
    assert all(isinstance(f["properties"]["score"], float) for f in doc["features"][:100])
    sites = next(d for d in downloads if d.suggested_filename == "chosen-sites.geojson")
    assert len(json.loads(Path(sites.path()).read_text(encoding="utf-8"))["features"]) == 3
    assert page.get_by_test_id("stDownloadButtonError").count() == 0


def test_routes_tab(page, app_url):
    _open(page, app_url)
    page.get_by_role("tab", name="Routes").click()
    page.get_by_text("Modes side by side").wait_for(timeout=120_000)
    frame = _map(page)
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    for mode in ("road", "rail", "multimodal"):  # one colour per route, legs dashed by their own mode
        expect(frame.locator(f"path[stroke='{palette.MODE[mode]}']").first).to_be_attached(timeout=60_000)
    legend = frame.locator(".ma-legend").inner_text()
    for row in (
        "Road route",
        "Rail route",
        "Multimodal route",
        "Origin:",
        "Destination:",
    ):
        assert row in legend
    assert (
        frame.locator(".ma-pin", has_text="A").count() == 1
        and frame.locator(".ma-pin", has_text="B").count() == 1
    )
    settled(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Routes (GeoJSON)").click()
    doc = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    legs = [f["properties"] for f in doc["features"]]
    assert {p["route_mode"] for p in legs} == {"road", "rail", "multimodal"}
    # multimodal: the cheapest combination for the least CO2e, inland by rail, not a port detour
    multimodal = [p for p in legs if p["route_mode"] == "multimodal"]
    assert "sea" not in {p["mode"] for p in multimodal}
    by_mode = {m: sum(p["co2e_t"] for p in legs if p["route_mode"] == m) for m in ("road", "rail")}
    assert sum(p["co2e_t"] for p in multimodal) <= min(by_mode.values()) + 1e-9
    assert all(p["length_km"] > 0 and p["co2e_t"] > 0 for p in legs)
    if os.environ.get("MINERAL_ATLAS_SCREENSHOT"):  # `make screenshot`: the README's picture
        page.get_by_role("tablist").first.evaluate(
            """e => {  // the tabs at the top, below Streamlit's header
                e.scrollIntoView({block: 'start'});
                let box = e.parentElement;
                while (box && box.scrollHeight <= box.clientHeight) { box = box.parentElement; }
                (box || document.scrollingElement).scrollBy(0, -70);
            }"""
        )
        page.wait_for_timeout(2000)  # the fit to the routes has ended
        page.screenshot(path=os.environ["MINERAL_ATLAS_SCREENSHOT"])


def test_corridors_tab(page, app_url):
    _open(page, app_url)
    page.get_by_role("tab", name="Corridors").click()
    page.get_by_text("Along the route", exact=True).wait_for(timeout=120_000)
    frame = _map(page)
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    expect(frame.locator(f"path[stroke='{palette.CORRIDOR[1]}']")).to_have_count(
        1, timeout=60_000
    )  # the corridor
    settled(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=re.compile(r"^Features inside \(\d+ features, GeoJSON")).click()
    inside = [
        f["properties"] for f in json.loads(Path(info.value.path()).read_text(encoding="utf-8"))["features"]
    ]
    assert inside and all(p["distance_to_route_km"] <= 50 for p in inside)
    chainage = [p["chainage_km"] for p in inside]
    assert chainage == sorted(chainage)
    assert "lohum-greater-noida-li" in {p["id"] for p in inside}


def test_crafted_url_restores_the_view(page, app_url):
    page.goto(
        f"{app_url}/?tab=Routes&route_modes=Road&route_modes=Rail&route_tonnes=5.0&basemap=Offline+%28Natural+Earth%29"
    )
    page.get_by_text("Modes side by side").wait_for(timeout=120_000)
    expect(page.get_by_role("tab", name="Routes")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("radio", name="Offline (Natural Earth)")).to_be_checked()
    frame = _map(page)
    expect(frame.locator(f"path[stroke='{palette.MODE['rail']}']").first).to_be_attached(timeout=60_000)
    expect(frame.locator(f"path[stroke='{palette.MODE['multimodal']}']")).to_have_count(0)  # no multimodal
    settled(page)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Routes (GeoJSON)").click()
    legs = [
        f["properties"] for f in json.loads(Path(info.value.path()).read_text(encoding="utf-8"))["features"]
    ]
    assert {p["route_mode"] for p in legs} == {"road", "rail"}
    assert all(p["tonne_km"] == pytest.approx(5.0 * p["length_km"]) for p in legs)
    # and a change made on the page goes into the URL, ready to share
    page.get_by_role("tab", name="Corridors").click()
    page.get_by_text("Along the route", exact=True).wait_for(timeout=120_000)
    assert "tab=Corridors" in page.url


MARKUP_FILE = "x<img src=x onerror=alert(1)>.csv"
MARKUP_COLUMN = "<b onmouseover=alert(7)>col</b>"


def test_markup_in_file_layer_and_column_names_is_text(page, browser, app_url, tmp_path):
    """A file, layer and column named with markup shows as text everywhere, for the uploader and for
    a second user opening the app afterwards, and no script runs."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open(page, app_url)
    hostile = tmp_path / MARKUP_FILE
    hostile.write_text(
        f'lat,lon,name,"{MARKUP_COLUMN}"\n21.0,79.0,"<img src=y onerror=alert(8)>",<i>v</i>\n',
        encoding="utf-8",
    )
    _upload(page, hostile)
    page.get_by_text("Imported 1 feature").first.wait_for(timeout=30_000)
    frame = page.frame_locator(MAP_FRAME).first
    control = frame.locator(".leaflet-control-layers", has_text="onerror=alert(1)")
    control.wait_for(timeout=30_000)
    assert "x<img src=x onerror=alert(1)>" in control.text_content()  # collapsed: text, not shown
    assert control.locator("img").count() == 0
    assert page.locator("section[data-testid='stSidebar'] img[src='x']").count() == 0
    opened = [
        f.evaluate("""() => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            let hit = false;
            map.eachLayer(l => { if (l.feature && String(l.feature.properties._tooltip).includes('alert(8)')) { l.openPopup(); hit = true; } });
            return hit;
        }""")
        for f in page.frames
        if "streamlit_folium" in f.url
    ]
    assert any(opened)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert MARKUP_COLUMN in popup.inner_text() and "<i>v</i>" in popup.inner_text()
    assert popup.locator("i, img, b[onmouseover]").count() == 0  # the popup's own <b> title only
    # a second user's fresh session: nothing of it runs there either
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    other.goto(app_url)
    other.wait_for_selector(MAP_FRAME, timeout=90_000)
    other.wait_for_timeout(3000)
    other.context.close()
    page.wait_for_timeout(500)
    assert dialogs == []


def _as_user(browser, name: str):
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, extra_http_headers={"X-Forwarded-User": name}
    )
    return context.new_page()


def test_each_user_sees_their_own_layers_and_shared_ones_read_only(browser, team_app_url, tmp_path):
    bob = _as_user(browser, "bob")
    _open(bob, team_app_url)
    bob.get_by_text("Signed in as bob").wait_for(timeout=30_000)
    for name in ("bob-private", "bob-shared"):
        path = tmp_path / f"{name}.csv"
        path.write_text("lat,lon,name\n21.0,79.0,x\n", encoding="utf-8")
        _upload(bob, path)
        bob.get_by_text(f"Imported 1 feature from {name}.csv").wait_for(timeout=30_000)
    settled(bob)
    panel = bob.locator("section[data-testid='stSidebar']")
    panel.get_by_text("Workspace (2 layers)").click()
    panel.locator("[data-testid='stCheckbox'], [data-testid='stToggle']").nth(1).click()  # share bob-shared
    settled(bob)  # the share is written by the run the toggle starts

    alice = _as_user(browser, "alice")
    _open(alice, team_app_url)
    alice.get_by_text("Signed in as alice").wait_for(timeout=30_000)
    sidebar = alice.locator("section[data-testid='stSidebar']")
    expect(sidebar).to_contain_text("Workspace (1 layer)", timeout=60_000)
    sidebar.get_by_text("Workspace (1 layer)").click()
    sidebar.get_by_text("shared by bob (read-only)").wait_for(timeout=30_000)
    assert sidebar.get_by_text("bob-private").count() == 0
    assert sidebar.get_by_role("button", name="Delete").count() == 0  # nothing of hers to delete
    frame = _map(alice)
    expect(frame.locator(".leaflet-control-layers", has_text="bob-shared")).to_have_count(1, timeout=30_000)
    assert frame.locator(".leaflet-control-layers", has_text="bob-private").count() == 0
    # a request without the header gets a message, not someone's workspace
    anonymous = browser.new_context().new_page()
    anonymous.goto(team_app_url)
    anonymous.get_by_text("takes the user from the 'X-Forwarded-User' header").wait_for(timeout=60_000)
    for p in (alice, bob, anonymous):
        p.context.close()


def test_four_users_importing_at_once_lose_nothing(browser, team_app_url, tmp_path):
    users = [f"user{i}" for i in range(4)]
    pages = [_as_user(browser, u) for u in users]
    for p in pages:
        _open(p, team_app_url)
    for round_ in range(3):
        for user, p in zip(users, pages, strict=True):  # four uploads in flight at once
            path = tmp_path / f"{user}-{round_}.csv"
            path.write_text(f"lat,lon,name\n2{round_}.0,7{round_}.0,{user}\n", encoding="utf-8")
            _upload(p, path)
        for user, p in zip(users, pages, strict=True):
            p.get_by_text(f"Imported 1 feature from {user}-{round_}.csv").wait_for(timeout=60_000)
    for user, p in zip(users, pages, strict=True):
        sidebar = p.locator("section[data-testid='stSidebar']")
        # each user's three layers are there (beside what the earlier test's bob shared with the team)
        for round_ in range(3):
            expect(sidebar).to_contain_text(f"{user}-{round_} · import · 1 feature", timeout=90_000)
        others = [o for o in users if o != user]  # nobody shared: the others' imports stay theirs
        assert not any(f"{o}-0" in sidebar.text_content() for o in others)
        assert p.get_by_text("Traceback").count() == 0 and p.get_by_text("busy").count() == 0
        p.context.close()


# ------------------------------------------------------------------ the map as a map application
def _view(page) -> tuple[float, float, float]:
    """The map's centre (lat, lon) and zoom."""
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    c = frame.evaluate(
        "() => { const c = window.map.getCenter(); return [c.lat, c.lng, window.map.getZoom()]; }"
    )
    return tuple(c)


def _wait_for_map(page):
    frame = page.frame_locator(MAP_FRAME).last
    frame.locator(".leaflet-container").wait_for(timeout=90_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")].some(
            f => f.contentWindow && f.contentWindow.map && f.contentWindow.__maFrame)""",
        timeout=90_000,
    )
    return frame


def test_view_is_kept_across_a_filter_change_and_restored_from_a_link(page, app_url, browser):
    _open(page, app_url)
    _wait_for_map(page)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.evaluate("() => window.map.setView([28.47, 77.5], 9, {animate: false})")  # Greater Noida
    page.wait_for_function("() => location.search.includes('view=28.47')", timeout=10_000)
    page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']", has_text="Kind").locator(
        "input"
    ).click()
    page.keyboard.type("Refining")
    page.keyboard.press("Enter")
    page.locator("[data-testid='stCaptionContainer']", has_text="Facilities: 4").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # the new layers are in
    lat, lon, zoom = _view(page)
    assert (round(lat, 2), round(lon, 2), zoom) == (28.47, 77.5, 9)  # the view stayed
    assert "view=28.47" in page.url and "filter_kind=Refining" in page.url
    # the link opens on the same view, in a new browser profile
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    other = context.new_page()
    other.goto(page.url)
    other.wait_for_selector(MAP_FRAME, timeout=90_000)
    _wait_for_map(other)
    lat, lon, zoom = _view(other)
    assert (round(lat, 2), round(lon, 2), zoom) == (28.47, 77.5, 9)
    context.close()


def test_legend_follows_the_filters(page, app_url):
    frame = _open(page, app_url)
    legend = frame.locator(".ma-legend")
    expect(legend).to_contain_text("Recycling", timeout=30_000)
    expect(legend).to_contain_text("Planned / under construction / closed")
    page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']", has_text="Kind").locator(
        "input"
    ).click()
    page.keyboard.type("Refining")
    page.keyboard.press("Enter")
    page.locator("[data-testid='stCaptionContainer']", has_text="Facilities: 8").wait_for(timeout=30_000)
    expect(legend).not_to_contain_text("Recycling", timeout=30_000)
    expect(legend).to_contain_text("Refining")
    expect(legend).not_to_contain_text("Port")  # ports have no kind "refining": the layer is empty


def test_offline_basemap_has_labels_at_zoom_6_over_india(page, app_url):
    page.goto(f"{app_url}/?view=22.5,79,6&basemap=Offline+%28Natural+Earth%29")
    frame = _wait_for_map(page)
    expect(frame.locator(".ma-country", has_text="India")).to_have_count(1, timeout=60_000)
    cities = frame.locator(".ma-city")
    expect(cities.first).to_be_attached(timeout=30_000)
    names = set(cities.all_text_contents())
    assert len(names) >= 15 and {"Delhi", "Mumbai", "Kolkata"} & names, sorted(names)[:20]
    assert round(_view(page)[2]) == 6
    assert not page.blocked  # the offline basemap asked for no tile


@pytest.fixture
def phone(browser):
    """A phone-sized page (390 x 844), with no network beyond this machine."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
            else r.abort()
        ),
    )
    yield context.new_page()
    context.close()


def test_phone_map_takes_most_of_the_screen_with_controls_collapsed(phone, app_url):
    _open(phone, app_url)
    phone.get_by_text("OpenStreetMap tiles could not be loaded here").wait_for(
        state="attached", timeout=30_000
    )
    frame = _wait_for_map(phone)
    expect(phone.locator(MAP_FRAME)).to_have_count(1, timeout=30_000)
    box = phone.locator(MAP_FRAME).bounding_box()
    assert box["height"] >= 0.6 * 844, box
    phone.locator(MAP_FRAME).scroll_into_view_if_needed()
    assert frame.locator(".leaflet-control-layers-expanded").count() == 0  # layer control: an icon
    assert frame.locator(".ma-legend details").get_attribute("open") is None  # legend: one line
    attribution = frame.locator(".leaflet-control-attribution").bounding_box()
    assert attribution["height"] < 24  # one line, the whole list on a click
    frame.locator(".leaflet-control-attribution").click()
    expect(frame.locator(".leaflet-control-attribution.ma-open")).to_have_count(1)
    if os.environ.get("MINERAL_ATLAS_SCREENSHOT"):  # `make screenshot`: the README's phone picture
        phone.wait_for_timeout(1500)
        frame.locator(".leaflet-control-attribution").click()
        phone.screenshot(
            path=str(Path(os.environ["MINERAL_ATLAS_SCREENSHOT"]).with_name("screenshot-phone.png"))
        )
