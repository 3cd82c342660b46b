"""A pass over a JSON file's bytes, in pieces, without a parser: nesting depth and a few keys.

Python's ``json`` and the parsers behind GDAL recurse into nested arrays and objects; a GeoJSON of
100,000 nested arrays ends in a ``RecursionError`` (or worse). :func:`scan_json` counts brackets
outside strings (escapes included) with numpy, 4 MB at a time, refuses a file nested deeper than
:data:`~geo.settings.MAX_JSON_DEPTH` before any parser sees it, and finds the offsets of the
top-level ``type`` and of every ``crs`` key (with the feature holding it), which
:func:`key_values` then reads.
"""

from __future__ import annotations

import json
import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from geo._errors import LayerError
from geo.settings import MAX_JSON_DEPTH

#: Bytes read at a time.
CHUNK = 1 << 22

_JSON_TOKENS = np.zeros(256, dtype=bool)
_JSON_TOKENS[[ord('"'), ord("["), ord("]"), ord("{"), ord("}")]] = True


@dataclass
class JsonScan:
    """What a pass over a JSON file's bytes found (no parser involved)."""

    first: bytes = b""  # the first byte that is not whitespace
    max_depth: int = 0
    #: per interesting key (``type`` at depth 1, ``crs`` anywhere): (offset of the key's quote,
    #: depth, ordinal of the object at depth 3 holding it: the feature of a FeatureCollection)
    keys: dict[bytes, list[tuple[int, int, int]]] = field(default_factory=dict)


def _escaped(arr: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """Which quote positions are escaped (preceded by an odd run of backslashes)."""
    slashes = np.flatnonzero(arr == ord("\\"))
    if slashes.size == 0 or quotes.size == 0:
        return np.zeros(quotes.size, dtype=bool)
    starts = np.r_[True, np.diff(slashes) != 1]
    run_start = slashes[starts]
    run_end = np.r_[slashes[np.flatnonzero(starts)[1:] - 1], slashes[-1]]
    idx = np.minimum(np.searchsorted(run_end, quotes - 1), run_end.size - 1)
    after_run: npt.NDArray[np.bool_] = run_end[idx] == quotes - 1
    odd_run: npt.NDArray[np.bool_] = (run_end[idx] - run_start[idx] + 1) % 2 == 1
    return after_run & odd_run


def scan_json(label: str, path: Path, *, max_depth: int = MAX_JSON_DEPTH) -> JsonScan:
    """Check the nesting depth of a JSON file on its bytes, in pieces, and find its ``type``/``crs`` keys.

    Strings (with their escapes) are skipped; brackets outside them count. A file nested deeper than
    ``max_depth`` is refused before any parser recurses into it.
    """
    scan = JsonScan(keys={b"type": [], b"crs": []})
    depth, in_string, features, outer_is_array = 0, False, 0, False
    base, lines, line_start = 0, 0, 0
    carry = b""
    with path.open("rb") as fh:
        while True:
            block = fh.read(CHUNK)
            data = carry + block
            if not data:
                break
            if block:  # cut after the last , ] or } so that no key and no escape is split
                cut = max(data.rfind(b","), data.rfind(b"]"), data.rfind(b"}")) + 1
                if cut <= 0:
                    if len(data) < max(4 * CHUNK, 1 << 20):
                        carry = data  # read on until a cut is possible
                        continue
                    cut = len(data.rstrip(b"\\")) or len(data)
                chunk, carry = data[:cut], data[cut:]
            else:
                chunk, carry = data, b""
            if not scan.first:
                scan.first = chunk.lstrip(b" \t\r\n\xef\xbb\xbf")[:1]
            arr = np.frombuffer(chunk, dtype=np.uint8)
            tok = np.flatnonzero(_JSON_TOKENS[arr])
            values = arr[tok]
            is_quote = values == ord('"')
            if is_quote.any():
                escaped = np.zeros(tok.size, dtype=bool)
                escaped[is_quote] = _escaped(arr, tok[is_quote])
                keep = ~escaped
                tok, values, is_quote = tok[keep], values[keep], is_quote[keep]
            quotes_before = np.cumsum(is_quote) - is_quote + int(in_string)
            outside = quotes_before % 2 == 0
            opens = outside & ((values == ord("[")) | (values == ord("{")))
            closes = outside & ((values == ord("]")) | (values == ord("}")))
            level = depth + np.cumsum(opens.astype(np.int64) - closes.astype(np.int64))
            if level.size and int(level.max()) > max_depth:
                pos = int(tok[np.argmax(level > max_depth)])
                line = lines + chunk.count(b"\n", 0, pos) + 1
                nl = chunk.rfind(b"\n", 0, pos)
                column = pos - nl if nl >= 0 else base + pos - line_start + 1
                raise LayerError(
                    f"{label}: JSON nested more than {max_depth} levels deep (arrays or objects within each "
                    f"other, at line {line}, column {column}); GeoJSON needs about 10: the file is refused",
                )
            scan.max_depth = max(scan.max_depth, int(level.max()) if level.size else 0)
            # a feature opens an object at depth 3 inside an array at depth 2 (a FeatureCollection's features)
            outer = np.flatnonzero(opens & (level == 2))
            objects = (values == ord("{")) & opens & (level == 3)
            parent = np.searchsorted(outer, np.flatnonzero(objects)) - 1
            in_array = np.full(parent.size, outer_is_array)
            if outer.size:
                known = parent >= 0
                in_array[known] = values[outer[parent[known]]] == ord("[")
            feature_open = np.zeros(tok.size, dtype=bool)
            feature_open[np.flatnonzero(objects)[in_array]] = True
            if outer.size:
                outer_is_array = bool(values[outer[-1]] == ord("["))
            ordinal = features + np.cumsum(feature_open)
            starts = np.flatnonzero(is_quote & outside)
            for key, wanted in ((b"type", 1), (b"crs", None)):
                found = starts[tok[starts] + len(key) + 1 < arr.size]
                for i, byte in enumerate(key + b'"', start=1):
                    found = found[arr[tok[found] + i] == byte]
                if wanted is not None:
                    found = found[level[found] == wanted]
                scan.keys[key].extend(
                    zip(
                        (base + tok[found]).tolist(),
                        level[found].tolist(),
                        ordinal[found].tolist(),
                        strict=True,
                    )
                )
            if level.size:
                depth = int(level[-1])
                features = int(ordinal[-1])
            in_string = bool((int(in_string) + int(is_quote.sum())) % 2)
            lines += chunk.count(b"\n")
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                line_start = base + nl + 1
            base += len(chunk)
    return scan


def key_values(path: Path, offsets: list[int]) -> Iterator[tuple[object, str]]:
    """The JSON value (None if unreadable) and its text of each key whose opening quote is at ``offsets``."""
    decoder = json.JSONDecoder()
    last_value, last_raw = None, "\0"
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for offset in offsets:
            value, raw = None, ""
            for size in (1 << 11, 1 << 16):  # a CRS object or a type name is short: try a small slice first
                text = data[offset : offset + size].decode("utf-8", errors="replace")
                match = re.match(r'"[^"]*"\s*:\s*', text)
                if not match:
                    break
                if last_raw[0] in "{[" and text.startswith(last_raw, match.end()):
                    value, raw = last_value, last_raw  # the same object or array as the previous key's
                    break
                try:
                    value, end = decoder.raw_decode(text, match.end())
                    raw = text[match.end() : end]
                    break
                except ValueError:
                    continue
            last_value, last_raw = value, raw or "\0"
            yield value, raw
