"""Every colour of the map in one place, chosen so that no two kinds of thing can be confused.

* facility kinds: the Okabe-Ito colours (distinguishable with the common colour-vision deficiencies),
  saturated, filled circles with a dark outline;
* context layers stay quiet: cities light grey, ports small dark grey dots, lithium blocks the one
  yellow;
* clusters carry no hue at all (white bubbles with a dark ring and the count), so a bubble never
  reads as a kind;
* imported layers get hues no built-in layer uses, with a white outline;
* analysis results are black, or marked with letters and numbers (A origin, B destination, numbered
  chosen sites); suitability scores use viridis.
"""

from __future__ import annotations

#: Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

#: Fill of each facility kind.
KIND: dict[str, str] = {
    "recycling": OKABE_ITO["bluish_green"],
    "refining": OKABE_ITO["blue"],
    "cathode": OKABE_ITO["reddish_purple"],
    "cell_manufacturing": OKABE_ITO["orange"],
    "smelter": OKABE_ITO["vermillion"],
    "battery_materials": "#8c6d31",  # an earth brown outside the Okabe-Ito set, apart from the others
    "venue": OKABE_ITO["sky_blue"],
}
#: Outline of points and polygons of the built-in layers.
OUTLINE = "#1a1a1a"
#: Kind without a colour of its own.
OTHER = "#7f7f7f"

LITHIUM_FILL = OKABE_ITO["yellow"]
LITHIUM_OUTLINE = "#5c5200"
CITY = "#8c8c8c"
PORT = "#3d3d3d"

#: Line colour of each transport mode (routes layer and route results); rail also dashed, sea dotted.
MODE: dict[str, str] = {
    "road": "#8C510A",
    "rail": "#5E3C99",
    "sea": "#2166AC",
    "multimodal": "#01665E",
}
#: Dash pattern of each leg mode.
DASH: dict[str, str | None] = {"road": None, "rail": "9 6", "sea": "2 7"}

#: Imported layers, in turn: hues no built-in layer uses.
USER: tuple[str, ...] = ("#E7298A", "#66A61E", "#7570B3", "#A6761D", "#17BECF", "#B15928")

#: Analysis results.
RESULT_LINE = "#111111"
RING = "#00838F"
ORIGIN = "#1B7837"
DESTINATION = "#B2182B"
SITE = "#111111"
ASSIGNMENT = "#555555"
CORRIDOR = ("#4DB6AC", "#00695C")  # fill, outline
SECOND_CORRIDOR = ("#B2ABD2", "#542788")
CELL_OUTLINE = "#333333"
#: Suitability, low to high (viridis stops; perceptually uniform, colour-blind safe).
SCORE_RAMP: tuple[str, ...] = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
