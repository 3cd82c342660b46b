"""The GIS tools end to end in Debian's Chromium: draw a region, find a place, export the map and a report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.conftest import settled

pytestmark = pytest.mark.browser

MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def _open(page, url: str):
    page.goto(url)
    page.wait_for_selector(MAP_FRAME, timeout=90_000)
    frame = page.frame_locator(MAP_FRAME).last
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=60_000)
    settled(page)
    return frame


def _map_frame(page):
    """The Playwright Frame of the last map on the page (to run script in it)."""
    return [f for f in page.frames if "streamlit_folium" in f.url][-1]


def _view(page) -> dict:
    return _map_frame(page).evaluate(
        """() => {
        const map = Object.values(window).find(v => v instanceof L.Map);
        const c = map.getCenter();
        return {lat: c.lat, lng: c.lng, zoom: map.getZoom()};
    }"""
    )


def test_draw_a_polygon_and_it_becomes_the_region(page, app_url):
    frame = _open(page, app_url)
    # zoom to the Reasi block first, as a user would, through the search box
    page.get_by_label("Find a place", exact=True).fill("Reasi")
    page.get_by_label("Find a place", exact=True).press("Enter")
    expect(page.get_by_text(re.compile(r"places? found"))).to_be_visible(timeout=60_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")].some(f => {
            try { const w = f.contentWindow; const m = Object.values(w).find(v => v instanceof w.L.Map);
                  return m && m.getZoom() >= 9; } catch (e) { return false; } })""",
        timeout=60_000,
    )
    settled(page)  # the zoom's run ended
    frame = page.frame_locator(MAP_FRAME).last
    frame.locator("a.leaflet-draw-draw-polygon").click()
    box = frame.locator(".leaflet-container").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # right of the legend (lower left) and below the layer control (upper right), which take clicks
    corners = [(0, 0), (250, 0), (250, 150), (0, 150)]
    for dx, dy in corners:
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(150)
    page.mouse.click(cx + corners[0][0], cy + corners[0][1])  # back on the first vertex closes it
    expect(page.get_by_text("Drawn shapes", exact=True)).to_be_visible(timeout=60_000)
    caption = page.locator("[data-testid='stCaptionContainer']", has_text="Last drawing").first
    expect(caption).to_contain_text("km²", timeout=30_000)
    expect(caption).to_contain_text("WGS84 ellipsoid")
    # the drawn polygon is still on the map after the page ran again
    expect(frame.locator("path[stroke='#ff6f00']").first).to_be_attached(timeout=30_000)
    page.get_by_role("button", name="Use polygon 1 as the site-selection region").click()
    region = page.get_by_role("combobox", name="Region")
    expect(region).to_have_value("drawn region (your layer)", timeout=60_000)
    expect(page.get_by_role("tab", name="Site selection")).to_have_attribute("aria-selected", "true")


def test_search_zooms_the_map_and_highlights_the_place(page, app_url):
    _open(page, app_url)
    before = _view(page)
    page.get_by_label("Find a place", exact=True).fill("Niihama")
    page.get_by_label("Find a place", exact=True).press("Enter")
    expect(page.get_by_text(re.compile(r"places? found"))).to_be_visible(timeout=60_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")].some(f => {
            try { const w = f.contentWindow; const m = Object.values(w).find(v => v instanceof w.L.Map);
                  return m && m.getZoom() >= 10; } catch (e) { return false; } })""",
        timeout=60_000,
    )
    view = _view(page)  # the town and 0.05 degrees around it (5 km) fill the map
    assert before["zoom"] < 10 <= view["zoom"] <= 13
    assert abs(view["lat"] - 33.96) < 0.2 and abs(view["lng"] - 133.28) < 0.2
    # the place found is pinned (a point: a pin; a line or polygon is outlined as well)
    expect(page.frame_locator(MAP_FRAME).last.locator(".ma-pin.ma-click").first).to_be_attached(
        timeout=30_000
    )
    # lat, lon text
    page.get_by_label("Find a place", exact=True).fill("28.47, 77.50")
    page.get_by_label("Find a place", exact=True).press("Enter")
    page.wait_for_function(
        """() => [...document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")].some(f => {
            try { const w = f.contentWindow; const m = Object.values(w).find(v => v instanceof w.L.Map);
                  return m && Math.abs(m.getCenter().lat - 28.47) < 0.01; } catch (e) { return false; } })""",
        timeout=60_000,
    )


def test_export_png_is_a_valid_image(page, app_url):
    _open(page, app_url)
    settled(page)
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download this map (PNG)").click()
    download = info.value
    assert download.suggested_filename == "mineral-atlas-map.png"
    image = Image.open(io.BytesIO(Path(download.path()).read_bytes()))
    assert image.format == "PNG" and image.size[0] >= 1000 and image.size[1] >= 700


def test_corridor_report_pdf_downloads(page, app_url):
    _open(page, app_url)
    page.get_by_role("tab", name="Corridors").click()
    page.get_by_text("Along the route").wait_for(timeout=120_000)
    settled(page)
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="Report (PDF)").click()
    reader = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert reader.metadata.title.startswith("Corridor ±50 km") and "Sources" in text


def test_service_areas_tab_draws_bands(page, app_url):
    _open(page, app_url)
    page.get_by_role("tab", name="Service areas").click()
    page.get_by_text("Each origin and band").wait_for(timeout=180_000)
    frame = page.frame_locator(MAP_FRAME).last
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    fills = frame.locator("path.leaflet-interactive[fill-opacity='0.45']")
    expect(fills).to_have_count(3, timeout=60_000)  # 4, 8 and 12 h
    colours = {fills.nth(i).get_attribute("fill") for i in range(3)}
    assert len(colours) == 3
