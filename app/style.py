"""The page's own style: the map sized to the window (on a phone too), less empty space at the top."""

from __future__ import annotations

import streamlit as st

#: The map frame's height: most of the window, never tiny, never taller than a large screen.
MAP_HEIGHT_CSS = "clamp(340px, 70vh, 900px)"

_CSS = f"""
<style>
iframe[title="streamlit_folium.st_folium"] {{ height: {MAP_HEIGHT_CSS} !important; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 2.75rem; }}
.ma-purpose {{ color: #555; margin: -0.6rem 0 0.2rem 0; }}
@media (max-width: 640px) {{
  [data-testid="stMainBlockContainer"] {{ padding: 2.6rem 0.6rem 2rem 0.6rem; }}
  h1 {{ font-size: 1.5rem !important; }}
  .ma-purpose {{ font-size: 0.85rem; }}
}}
</style>
"""


def apply() -> None:
    """Add the style to the page (once per run; it takes no space)."""
    st.html(_CSS)
