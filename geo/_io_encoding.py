"""Text encodings of imported CSV and GeoJSON: detected (or as given), checked and transcoded to UTF-8.

Text is UTF-8 unless a byte-order mark says UTF-16/UTF-32, the bytes look like UTF-16 without one,
or they are not UTF-8, in which case Windows-1252 (or Latin-1) is used and the source's notes say
so; ``encoding=`` forces an encoding. Files are decoded in pieces, never held whole.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

from geo._io_messages import fail
from geo._io_sources import CHUNK, Source

logger = logging.getLogger("geo.io")  # the importers log under their public module's name

#: Values of ``encoding=`` that ask for detection.
AUTO_ENCODING = (None, "auto")
#: Text encodings to offer for CSV/GeoJSON uploads (value for ``encoding=`` -> label); any Python
#: codec name works too.
TEXT_ENCODINGS: dict[str, str] = {
    "auto": "Detect (UTF-8, UTF-16/32 by byte-order mark, else Windows-1252)",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (Western European)",
    "latin-1": "Latin-1 (ISO-8859-1)",
    "shift_jis": "Shift JIS (Japanese)",
    "gb18030": "GB 18030 (Chinese)",
}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with a byte-order mark"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _first_undecodable(path: Path, codec: str) -> tuple[int, int] | None:
    """Offset and value of the first byte ``codec`` cannot decode (the file read in pieces), or None."""
    decoder = codecs.getincrementaldecoder(codec)()
    offset = 0
    with path.open("rb") as fh:
        while True:
            block = fh.read(CHUNK)
            pending = decoder.getstate()[0] if hasattr(decoder, "getstate") else b""
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                start = offset - len(pending) + exc.start
                data = exc.object if isinstance(exc.object, bytes) else b""
                value = data[exc.start] if exc.start < len(data) else 0
                return max(start, 0), value
            if not block:
                return None
            offset += len(block)


def _choose_encoding(src: Source) -> str:
    """The codec of the staged text; a note in ``src.notes`` when it was not plain UTF-8."""
    label, path = src.label, src.path
    with path.open("rb") as fh:
        head = fh.read(4096)
    if src.encoding not in AUTO_ENCODING:
        try:
            codec = codecs.lookup(str(src.encoding)).name
        except LookupError:
            raise fail(label, f"unknown text encoding {src.encoding!r}") from None
        if codec == "utf-8" and head.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        bad = _first_undecodable(path, codec)
        if bad is not None:
            raise fail(
                label,
                f"text is not valid {str(src.encoding).upper()} (byte 0x{bad[1]:02x} at offset {bad[0]}); "
                "save it as UTF-8 or pass the encoding",
            )
        return codec
    for bom, codec, what in _BOMS:
        if head.startswith(bom):
            bad = _first_undecodable(path, codec)
            if bad is not None:
                raise fail(
                    label,
                    f"text starts with a {what} byte-order mark but is not valid {what} "
                    f"(byte 0x{bad[1]:02x} at offset {bad[0]}); save it as UTF-8",
                )
            if codec != "utf-8-sig":
                src.notes.append(f"text is {what} (byte-order mark); read as such")
            return codec
    sample = head[: len(head) // 2 * 2]
    if len(sample) >= 8:
        even_nul = sample[0::2].count(0) / (len(sample) // 2)
        odd_nul = sample[1::2].count(0) / (len(sample) // 2)
        guess = "utf-16-le" if odd_nul > 0.3 and even_nul < 0.05 else None
        guess = "utf-16-be" if even_nul > 0.3 and odd_nul < 0.05 else guess
        if guess and _first_undecodable(path, guess) is None:
            src.notes.append(f"text is {guess.upper()} without a byte-order mark; read as such")
            return guess
    bad = _first_undecodable(path, "utf-8")
    if bad is None:
        return "utf-8"
    fallback = "cp1252" if _first_undecodable(path, "cp1252") is None else "latin-1"
    what = "Windows-1252 (cp1252)" if fallback == "cp1252" else "Latin-1 (ISO-8859-1)"
    src.notes.append(
        f"text is not UTF-8 (byte 0x{bad[1]:02x} at offset {bad[0]}); read as {what}: check accented "
        "letters, or import again with the right encoding"
    )
    logger.info("%s: %s", label, src.notes[-1])
    return fallback


def utf8_file(src: Source) -> Path:
    """The staged text as UTF-8 without a byte-order mark: the staged file itself, or a transcoded copy."""
    codec = _choose_encoding(src)
    if codec == "utf-8":
        return src.path
    target = src.tmp / "text-utf8"
    decoder = codecs.getincrementaldecoder(codec)()
    first = True
    with src.path.open("rb") as fh, target.open("w", encoding="utf-8", newline="") as out:
        while True:
            block = fh.read(CHUNK)
            text = decoder.decode(block, final=not block)
            out.write(text.lstrip("\ufeff") if first else text)
            first = first and not text
            if not block:
                break
    return target
