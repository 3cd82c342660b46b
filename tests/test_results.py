import folium

import layers
from geo.proximity import nearest, nearest_lines
from layers.map import build_map
from layers.results import nearest_lines_group, point_group, range_rings_group


def test_nearest_lines_are_labelled_with_km_and_escaped():
    sources = layers.load_by_id("facilities").iloc[:12]  # few lines
    sources.loc["lohum-gujarat", "name"] = "<img src=x onerror=alert(1)>"
    targets = layers.load_by_id("lithium_blocks")
    lines = nearest_lines(sources, targets, nearest(sources, targets))
    group = nearest_lines_group(lines)
    page = build_map({}, overlays=[group]).get_root().render()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.replace("\\u0026", "&")
    assert "<img src=x" not in page
    assert " km" in page and "permanent: true" in page  # few lines: labels stay on


def test_many_lines_are_labelled_on_hover_only():
    sources = layers.load_by_id("demand")
    targets = layers.load_by_id("facilities")
    group = nearest_lines_group(nearest_lines(sources, targets, nearest(sources, targets)))
    assert "permanent: true" not in build_map({}, overlays=[group]).get_root().render()


def test_rings_and_point_groups():
    rings = range_rings_group(77.5, 28.47, [100, 50], label="Greater Noida")
    assert isinstance(rings, folium.FeatureGroup) and rings.layer_name == "Range rings: Greater Noida"
    page = build_map({}, overlays=[rings, point_group(80.0, 20.0, label="here")]).get_root().render()
    assert "Greater Noida: 50 km" in page and "Greater Noida: 100 km" in page


def test_origin_and_destination_are_told_apart_by_letter_and_colour():
    from layers import palette
    from layers.results import endpoints_group

    group = endpoints_group(
        (75.0, 33.1), (77.5, 28.47), origin_label="<b>Reasi</b>", destination_label="Greater Noida"
    )
    page = build_map({}, overlays=[group]).get_root().render()
    for code, char in (("\\u0027", "'"), ("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&")):
        page = page.replace(code, char)
    assert f"background:{palette.ORIGIN}'>A" in page and f"background:{palette.DESTINATION}'>B" in page
    assert palette.ORIGIN != palette.DESTINATION
    assert "<b>Reasi</b>" not in page and "&lt;b&gt;Reasi&lt;/b&gt;" in page


def test_multimodal_legs_differ_from_road_legs_and_are_in_the_legend():
    import json
    import re

    from layers import palette
    from layers.results import route_group

    legs = layers.load("routes")
    multimodal = legs[legs["route_id"] == "noida-sharjah-multimodal"]
    road = legs[legs["route_id"] == "reasi-noida-road"]
    page = (
        build_map(
            {},
            overlays=[
                route_group(road, name="Road route", route_mode="road"),
                route_group(multimodal, name="Multimodal route", route_mode="multimodal"),
            ],
        )
        .get_root()
        .render()
    )
    assert palette.MODE["road"] != palette.MODE["multimodal"]
    assert f'"color": "{palette.MODE["multimodal"]}"' in page and f'"color": "{palette.MODE["road"]}"' in page
    legend = "".join(
        json.loads(f)["legend"] for f in re.findall(r"MineralAtlas\.register\([^,]+, (\{.*?\})\);", page)
    )
    assert "Road route" in legend and "Multimodal route: sea leg" in legend
    assert f"Multimodal route ({len(multimodal)} legs)" in page and "1 legs" not in page


def test_plural_aware_names():
    from layers.labels import plural

    assert plural(1, "leg") == "1 leg" and plural(3, "leg") == "3 legs"
    assert plural(1, "city", "cities") == "1 city" and plural(1200, "cell") == "1,200 cells"


def test_a_drawn_route_shows_a_dash_for_its_unknown_hours_and_co2e():
    import re

    import shapely

    from app.drawing import route_legs
    from layers.results import route_group

    drawn = route_legs(shapely.LineString([(74.8, 33.1), (77.5, 28.47)]), "Reasi to Noida")
    assert drawn[["hours", "co2e_t"]].isna().all(axis=None)  # a drawn line has neither
    road = layers.load("routes").query("route_id == 'reasi-noida-road'")
    page = (
        build_map({}, overlays=[route_group(drawn, name="Route 1"), route_group(road, name="Route 2")])
        .get_root()
        .render()
    )
    assert not re.search(r"\bnan\b", page, flags=re.IGNORECASE)
    km = drawn["length_km"].iloc[0]
    assert f"end of Reasi to Noida: {km:,.0f} km, \\u2013 h, \\u2013 t CO2e" in page
    leg = road.iloc[0]  # a routed leg keeps its figures
    assert f"{leg['length_km']:,.0f} km, {leg['hours']:,.0f} h, {leg['co2e_t']:,.3f} t CO2e" in page
