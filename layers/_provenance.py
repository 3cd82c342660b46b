"""Provenance of the curated layers: the sources table and claim-level evidence.

``data/sources.csv`` holds one row per source a reader can look up (publisher, headline with an
English gloss when not English, date, URL when known, kind). ``data/claims.csv`` holds one row per
claim about a record's field: ``reported`` (a source id and a short verbatim quote), ``assumed`` (the
reason) or, for a route's ``flow``, ``scenario`` (the reasoning). Records carry no free-text citation:
:func:`attach` derives ``source`` (the cited sources), ``source_date``, ``status_confirmed`` and, per
claim field, ``<field>_basis`` and ``<field>_evidence`` from these two files.

Every problem found is collected and one :class:`geo.LayerError` names the file, the row or
record and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from geo import LayerError
from geo.settings import CLAIM_BASES, CLAIM_FIELDS, DATA_DIR, SOURCE_KINDS

#: Columns of ``data/sources.csv``.
SOURCE_COLUMNS: tuple[str, ...] = ("id", "publisher", "headline", "headline_en", "date", "url", "kind")
#: Columns of ``data/claims.csv``.
CLAIM_COLUMNS: tuple[str, ...] = ("record_id", "field", "basis", "source_id", "quote", "reason")
#: Statuses that need no dated confirmation.
UNCONFIRMED_STATUSES = frozenset({"unknown", "not_applicable"})

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_HTTP = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# a file-system path: absolute or home- or dot-relative, a Windows drive, a file: URL, a working
# folder of the newsroom ("shared/…") or a stored article's file name
_PATH_LIKE = re.compile(
    r"(?:^|[\s(\[;,'\"])(?:/(?!/)|~/|\.{1,2}/)\S"
    r"|\b[A-Za-z]:[\\/]"
    r"|\bfile:"
    r"|\bshared/"
    r"|\.(?:txt|csv|json|pdf|html?)\b(?!\S*://)",
    re.IGNORECASE,
)
_MAX_LISTED = 5


def is_path_like(text: str) -> bool:
    """True when ``text`` names a file-system path (or a local file), which a reader cannot look up.

    URLs are not paths: ``https://example.org/a/b.html`` is fine, ``/srv/news/a.txt``,
    ``shared/sources/000`` and ``file:///x`` are not.
    """
    if not text:
        return False
    without_urls = _URL.sub(" ", text)
    return bool(_PATH_LIKE.search(without_urls))


def _raise(where: str | Path, problems: list[str]) -> None:
    if problems:
        more = f" (and {len(problems) - _MAX_LISTED} more problems)" if len(problems) > _MAX_LISTED else ""
        msg = f"{where}: " + "; ".join(problems[:_MAX_LISTED]) + more
        raise LayerError(msg)


def _text_rows(frame: pd.DataFrame) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row of a CSV read as text, with its line number in the file (the header is line 1)."""
    for pos, record in enumerate(frame.to_dict("records"), start=2):
        yield pos, {str(column): str(value) for column, value in record.items()}


def _read_csv(path: Path, columns: Iterable[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: file not found"
        raise LayerError(msg) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{path}: missing column(s) {', '.join(missing)}"
        raise LayerError(msg)
    return frame


def read_sources(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check ``data/sources.csv``; the frame is indexed by source id.

    Raises
    ------
    LayerError
        For a duplicate or malformed id, an empty publisher, headline or kind, a kind outside
        :data:`geo.settings.SOURCE_KINDS`, a date that is not YYYY, YYYY-MM or YYYY-MM-DD, a URL
        that is not http(s), or a path-like value in any column.
    """
    path = Path(path) if path is not None else DATA_DIR / "sources.csv"
    frame = _read_csv(path, SOURCE_COLUMNS)
    problems: list[str] = []
    for pos, row in _text_rows(frame):
        label = f"source {row['id']!r} (row {pos})" if row["id"] else f"row {pos}"
        if not _ID.match(row["id"]):
            problems.append(f"{label}: id is not a slug (lower-case letters, digits, . _ -)")
        for column in ("publisher", "headline", "kind"):
            if not row[column].strip():
                problems.append(f"{label}: {column} is empty")
        if row["kind"] and row["kind"] not in SOURCE_KINDS:
            problems.append(f"{label}: kind {row['kind']!r} is not one of {', '.join(SOURCE_KINDS)}")
        if row["date"] and not _DATE.match(row["date"]):
            problems.append(f"{label}: date {row['date']!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        if row["url"] and not _HTTP.match(row["url"]):
            problems.append(f"{label}: url {row['url']!r} is not an http(s) address")
        for column in ("publisher", "headline", "headline_en"):
            if is_path_like(row[column]):
                problems.append(f"{label}: {column} names a file path, not a source a reader can look up")
    dupes = sorted(set(frame["id"][frame["id"].duplicated()]))
    problems.extend(f"source {d!r}: id is not unique" for d in dupes)
    _raise(path, problems)
    return frame.set_index("id", drop=False)


def read_claims(path: str | Path | None = None, *, sources: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check ``data/claims.csv`` against the sources table.

    Raises
    ------
    LayerError
        For a claim without a basis, a basis outside :data:`geo.settings.CLAIM_BASES`, a reported
        claim without a source id or quote, an unknown source id, an assumed or scenario claim
        without its reason, a scenario for anything but a route's flow, or a path-like quote or
        reason; the message names the row (1-based, header is row 1) and the record.
    """
    path = Path(path) if path is not None else DATA_DIR / "claims.csv"
    sources = read_sources() if sources is None else sources
    frame = _read_csv(path, CLAIM_COLUMNS)
    problems: list[str] = []
    for pos, row in _text_rows(frame):
        label = f"row {pos} ({row['record_id'] or '?'} {row['field'] or '?'})"
        if not row["record_id"] or not row["field"]:
            problems.append(f"{label}: record_id and field are required")
        basis = row["basis"]
        if not basis:
            problems.append(f"{label}: claim has no basis (reported, assumed or scenario)")
            continue
        if basis not in CLAIM_BASES:
            problems.append(f"{label}: basis {basis!r} is not one of {', '.join(CLAIM_BASES)}")
            continue
        if basis == "reported":
            if not row["source_id"]:
                problems.append(f"{label}: reported claim has no source_id")
            if not row["quote"].strip():
                problems.append(f"{label}: reported claim has no quote")
        elif not row["reason"].strip():
            problems.append(f"{label}: {basis} claim has no reason")
        if basis == "scenario" and row["field"] != "flow":
            problems.append(f"{label}: only a route's flow can be a scenario; use assumed")
        if row["source_id"] and row["source_id"] not in sources.index:
            problems.append(f"{label}: unknown source id {row['source_id']!r} (not in sources.csv)")
        for column in ("quote", "reason"):
            if is_path_like(row[column]):
                problems.append(f"{label}: {column} names a file path, not a source a reader can look up")
    _raise(path, problems)
    return frame


def citation(source: Mapping[Hashable, Any]) -> str:
    """How a source is cited: publisher, headline (English gloss), date and URL when known."""
    headline = source["headline"]
    if source.get("headline_en"):
        headline = f"{headline} ({source['headline_en']})"
    parts = [source["publisher"], f"“{headline}”", source.get("date") or "undated"]
    if source.get("url"):
        parts.append(source["url"])
    return ", ".join(parts)


def evidence(claim: Mapping[Hashable, Any], sources: Mapping[Hashable, Mapping[Hashable, Any]]) -> str:
    """One claim as text: “quote” (citation), or ``assumed: reason``, or ``scenario: reason (citation)``.

    ``sources`` maps each source id to its row (``read_sources().to_dict("index")``).
    """
    cited = citation(sources[claim["source_id"]]) if claim.get("source_id") else ""
    if claim["basis"] == "reported":
        return f"“{claim['quote']}” ({cited})"
    text = f"{claim['basis']}: {claim['reason']}"
    return f"{text} (context: {cited})" if cited else text


def attach(
    frame: pd.DataFrame,
    *,
    layer: str,
    where: str | Path,
    claims: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Add the provenance columns of ``layer``'s records, checking that every claim is there.

    Adds ``source`` (citations of every source the record's claims cite), ``source_url`` (the first
    http(s) address among them), ``source_date`` (the latest source date), ``status_confirmed`` (the
    latest date of a source reporting the status), ``<field>_basis`` and ``<field>_evidence`` per
    claim field, ``assumed`` (fields whose value is assumed, ``;``-separated) and ``provenance``
    (all claims as one line, for the attribute table).

    Parameters
    ----------
    frame : pandas.DataFrame
        The layer's records, with ``id`` and the fields of :data:`geo.settings.CLAIM_FIELDS`.
    layer : str
        ``facilities``, ``lithium_blocks`` or ``routes``.
    where : str or Path
        The record file, named in errors.
    claims, sources : pandas.DataFrame, optional
        Already read tables (default: read and check the files in the data folder).

    Raises
    ------
    LayerError
        A claim missing for a required field, a field claimed both reported and assumed, a route
        whose ``basis`` differs from its flow claims, a status without a dated report, or a
        path-like note or placement; the message names the file, the record and the field.
    """
    sources = read_sources() if sources is None else sources
    claims = read_claims(sources=sources) if claims is None else claims
    by_id = sources.to_dict("index")
    required = CLAIM_FIELDS[layer]
    by_record = {rid: group for rid, group in claims.groupby("record_id", sort=False)}
    out = frame.copy()
    fields = [*required["always"], *required["when_given"]]
    columns: dict[str, list[str]] = {
        c: [] for c in ("source", "source_url", "source_date", "status_confirmed", "assumed", "provenance")
    }
    for field in fields:
        columns[f"{field}_basis"] = []
        columns[f"{field}_evidence"] = []
    problems: list[str] = []
    for record in frame.to_dict("records"):
        rid = record["id"]
        mine = by_record.get(rid, claims.iloc[0:0])
        cited: list[str] = []
        assumed: list[str] = []
        lines: list[str] = []
        for field in fields:
            rows = mine[mine["field"] == field]
            value = record.get(field, "")
            needed = field in required["always"] or (value is not None and str(value).strip() != "")
            if field == "status" and record.get("status") in UNCONFIRMED_STATUSES:
                needed = False
            if rows.empty:
                if needed:
                    problems.append(
                        f"record {rid!r}: {field} has no claim (reported with a source, or assumed with a "
                        "reason)"
                    )
                columns[f"{field}_basis"].append("")
                columns[f"{field}_evidence"].append("")
                continue
            bases = set(rows["basis"])
            if len(bases) > 1:
                problems.append(f"record {rid!r}: {field} is claimed both {' and '.join(sorted(bases))}")
            basis = min(bases)
            texts = [evidence(c, by_id) for c in rows.to_dict("records")]
            cited.extend(s for s in rows["source_id"] if s and s not in cited)
            if basis == "assumed":
                assumed.append(field)
            columns[f"{field}_basis"].append(basis)
            columns[f"{field}_evidence"].append(" | ".join(texts))
            lines.append(f"{field}: " + " | ".join(texts))
        if (
            layer == "routes"
            and record.get("basis") != columns["flow_basis"][-1]
            and columns["flow_basis"][-1]
        ):
            problems.append(
                f"record {rid!r}: basis {record.get('basis')!r} differs from its flow claims "
                f"({columns['flow_basis'][-1]})"
            )
        dates = [by_id[s]["date"] for s in cited if by_id[s]["date"]]
        status_rows = mine[(mine["field"] == "status") & (mine["basis"] == "reported")]
        confirmed = [by_id[s]["date"] for s in status_rows["source_id"] if by_id[s]["date"]]
        if "status" in fields and record.get("status") not in UNCONFIRMED_STATUSES and not confirmed:
            problems.append(
                f"record {rid!r}: status {record.get('status')!r} has no dated report confirming it"
            )
        for column in ("notes", "placement"):
            if is_path_like(str(record.get(column) or "")):
                problems.append(
                    f"record {rid!r}: {column} names a file path, not a source a reader can look up"
                )
        urls = [by_id[s]["url"] for s in cited if by_id[s]["url"]]
        columns["source"].append("; ".join(citation(by_id[s]) for s in cited))
        columns["source_url"].append(urls[0] if urls else "")
        columns["source_date"].append(max(dates) if dates else "")
        columns["status_confirmed"].append(max(confirmed) if confirmed else "")
        columns["assumed"].append(";".join(assumed))
        columns["provenance"].append("; ".join(lines))
    _raise(f"{where} (claims in claims.csv)", problems)
    for name, values in columns.items():
        out[name] = values
    if layer == "routes":
        out = out.drop(columns=["status_confirmed"])
    return out


def orphan_claims(claims: pd.DataFrame, record_ids: Iterable[str]) -> pd.DataFrame:
    """Claims whose record id is none of ``record_ids`` (a typo, or a record that was removed)."""
    return claims[~claims["record_id"].isin(set(record_ids))]
