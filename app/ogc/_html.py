"""HTML pages of the OGC API: plain, script-free, every value escaped (feature properties are data)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#212121}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f5f5f5}nav{margin-bottom:1rem}code,pre{font-size:.85rem}
pre{white-space:pre-wrap;background:#fafafa;padding:1rem;border:1px solid #eee}
"""


def e(value: Any) -> str:
    """``value`` as escaped text (quotes too, so it is safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def link(href: str, text: Any) -> str:
    return f'<a href="{e(href)}">{e(text)}</a>'


def value_cell(value: Any) -> str:
    """A property value; an http(s) address becomes a link, anything else stays text."""
    if isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value:
        return f'<a href="{e(value)}" rel="noopener noreferrer nofollow">{e(value)}</a>'
    return e(value)


def page(title: str, body: str, *, crumbs: Sequence[tuple[str, str]] = (), json_href: str = "") -> str:
    """A whole page: breadcrumbs (``(href, text)``), the title, ``body`` (already escaped markup)."""
    nav = " / ".join(link(href, text) for href, text in crumbs)
    alternate = f" <small>({link(json_href, 'JSON')})</small>" if json_href else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<nav>{nav}</nav><h1>{e(title)}{alternate}</h1>{body}</body></html>"
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; ``rows`` hold escaped markup (use :func:`e`, :func:`link` or :func:`value_cell`)."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def definition_list(items: Mapping[str, Any]) -> str:
    return table(("property", "value"), ([e(k), value_cell(v)] for k, v in items.items()))


def json_block(document: Any) -> str:
    return f"<pre>{e(json.dumps(document, indent=2, ensure_ascii=False))}</pre>"
