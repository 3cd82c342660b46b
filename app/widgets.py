"""Small widget helpers shared by the pages: downloads, histograms, workspace saves."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from app.cache import export_bytes
from geo import ExportError, LayerError
from geo.settings import EXPORT_FORMATS, MIME_TYPES


def stop_requested() -> Callable[[], bool]:
    """A callable telling a long solve that the user pressed Stop or changed a widget meanwhile.

    Streamlit marks the running script's requests (stop, or a re-run for a widget change) before
    it can interrupt Python; a solver that polls this returns its best answer so far at once.
    """
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    requests = getattr(get_script_run_ctx(), "script_requests", None)
    if requests is None:  # bare mode (AppTest, tests): nothing can ask to stop
        return lambda: False
    return lambda: getattr(requests, "_state", ScriptRequestType.CONTINUE) != ScriptRequestType.CONTINUE


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$|#~])")


def md(text: object) -> str:
    """``text`` as literal text inside Streamlit markdown (labels, captions, messages).

    The characters that open markup — emphasis, code, links and images (``[``), Streamlit's
    directives (``:red[...]``), HTML (``<``), LaTeX (``$``), tables, headings and strikethrough —
    are backslash-escaped, so a layer or file name such as ``[x](javascript:...)`` or
    ``<img src=x>`` shows as typed; other punctuation cannot open markup once ``[`` is escaped.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def download(
    where: Any, label: str, frame: gpd.GeoDataFrame, key: tuple[str, ...], fmt: str, stem: str, widget: str
) -> None:
    """A download button for ``frame`` as ``fmt``; a failed export is a message, not a traceback.

    The bytes are made on this run (cached by ``key``) and the click does not re-run the page
    (``on_click="ignore"``), so two quick clicks on two buttons both get their file.
    """
    try:
        data = export_bytes(frame, key, fmt)
    except ExportError as exc:
        where.error(f"Export failed: {md(exc)}")
        return
    where.download_button(
        label,
        data,
        file_name=f"{stem}{EXPORT_FORMATS[fmt]}",
        mime=MIME_TYPES[fmt],
        key=widget,
        on_click="ignore",
        width="stretch",
        wrap=True,
    )


def nice_step(span: float, bins: int) -> float:
    """A round bin width (1, 2, 2.5 or 5 times a power of ten) giving about ``bins`` bins over ``span``."""
    if not np.isfinite(span) or span <= 0:
        return 1.0
    raw = span / bins
    power = 10.0 ** np.floor(np.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))


def histogram(values: Iterable[float], name: str, *, bins: int = 30) -> pd.DataFrame:
    """Counts per bin of round width, each bin labelled by its round start (a readable axis)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return pd.DataFrame({name: [], "features": []})
    step = nice_step(float(finite.max() - finite.min()), bins)
    start = np.floor(finite.min() / step) * step
    edges = start + step * np.arange(int(np.ceil((finite.max() - start) / step)) + 2)
    counts, edges = np.histogram(finite, bins=edges)
    decimals = max(0, -int(Decimal(repr(step)).normalize().as_tuple().exponent))
    keep = slice(0, int(np.flatnonzero(counts).max()) + 1)
    return pd.DataFrame({name: np.round(edges[:-1], decimals)[keep], "features": counts[keep]})


#: Largest radius of a range ring (km): half a great circle.
MAX_RING_KM = 20_000.0


def parse_radii(text: str) -> list[float]:
    """Radii (km) from comma- or semicolon-separated text.

    Raises
    ------
    ValueError
        Unless every value is a finite number in (0, :data:`MAX_RING_KM`] and there is at least one.
    """
    values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    if not values or not all(np.isfinite(v) and 0 < v <= MAX_RING_KM for v in values):
        raise ValueError
    return values


def save(action: Callable[[], None], name: str) -> None:
    """Run a workspace write; report success or the failure (the workspace stays as it was)."""
    try:
        action()
    except (LayerError, OSError) as exc:
        st.error(f"Could not save {md(repr(name))} to the workspace ({md(exc)}); the workspace is unchanged")
    else:
        st.success(f"Saved to the workspace as {md(repr(name))}")


def ids(gdf: gpd.GeoDataFrame) -> tuple[str, ...]:
    """The index labels of ``gdf`` as text (a cache key)."""
    return tuple(gdf.index.astype(str))


#: Session key of the URL's parameters as the session opened them (until each is checked).
_URL_AT_LOAD = "_url_at_load"
#: Session key of the widget key -> format function map (see :func:`shown_as`).
_SHOWN_AS = "_shown_as"


def approximate_toggle(where: Any, *, key: str, what: str) -> bool:
    """The "Include approximate locations" toggle (off by default, kept in the link).

    ``what`` names the features it lets in, e.g. "Targets": those placed only at region or country
    level (placeholders, :func:`layers.analysis_targets`).
    """
    on: bool = where.toggle(
        "Include approximate locations",
        key=key,
        bind="query-params",
        help=f"{what} placed only at region or country level (placeholders) are left out by default",
    )
    return on


def shown_as(key: str, func: Callable[[Any], str]) -> Callable[[Any], str]:
    """``func`` as the ``format_func`` of widget ``key``, recorded for :func:`report_url_changes`.

    A widget bound to the URL writes its values there as the user reads them ("Road", "India"),
    not as codes; the check of a link's parameters compares them the same way.
    """
    st.session_state.setdefault(_SHOWN_AS, {})[key] = func
    return func


def remember_url() -> None:
    """Keep the parameters of the link this session was opened with (first run only)."""
    if _URL_AT_LOAD not in st.session_state:
        st.session_state[_URL_AT_LOAD] = {k: st.query_params.get_all(k) for k in st.query_params}


def report_url_changes() -> None:
    """Say which parameters of the opening link the page could not use, and what it uses instead.

    Streamlit resets a bound widget whose URL value is out of range, not a number or not an option
    without a word; this names each such parameter. Each parameter is checked once, on the first
    run that draws its widget.
    """
    pending: dict[str, list[str]] = st.session_state.get(_URL_AT_LOAD, {})
    formats: dict[str, Callable[[Any], str]] = st.session_state.get(_SHOWN_AS, {})
    changed = []
    for key in [k for k in pending if k in st.session_state and not k.startswith("_")]:
        asked, used = pending.pop(key), st.session_state[key]
        fmt = formats.get(key, str)
        if not (_same(asked, used) or _same(asked, _shown(used, fmt))):
            shown = ", ".join(asked) if len(asked) != 1 else asked[0]
            changed.append(f"{key}={shown!r} → {_plain(_shown(used, fmt))}")
    if changed:
        st.warning(
            "The link asked for values this page cannot use; it uses these instead: " + "; ".join(changed)
        )


def _same(asked: list[str], used: Any) -> bool:
    """True when the URL's text values ``asked`` mean the widget value ``used``."""
    if isinstance(used, list | tuple):
        return sorted(map(str, used)) == sorted(asked)
    if not asked:
        return False
    text = asked[-1]
    if isinstance(used, bool):
        return text.lower() in (("true", "1") if used else ("false", "0"))
    if isinstance(used, int | float):
        try:
            return bool(np.isclose(float(text), float(used)))
        except ValueError:
            return False
    return str(used) == text


def _shown(value: Any, fmt: Callable[[Any], str]) -> Any:
    """A widget value as the widget shows it (each item of a list)."""
    if isinstance(value, list | tuple):
        return [fmt(v) for v in value]
    return fmt(value)


def _plain(value: Any) -> str:
    """A widget value as a user reads it."""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)
