"""Layer names: made safe from any text (a file name) and checked when given by hand.

A layer name travels into the workspace (a GeoPackage table), messages, file names and URLs:
:func:`safe_layer_name` makes one from any text, :func:`check_layer_name` refuses a bad one with
the reason and a safe example. Both are public as :mod:`geo.io` names.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from geo._errors import LayerError
from geo._io_sources import FORMATS
from geo.settings import MAX_LAYER_NAME_CHARS

#: Layer names the workspace GeoPackage keeps for itself.
RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_")
RESERVED_NAMES = ("workspace_index",)


def _name_chars(text: str) -> str:
    """``text`` NFKC-normalised, without control characters."""
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(c for c in text if unicodedata.category(c)[0] != "C")


def _word_char(c: str) -> bool:
    return unicodedata.category(c)[0] in "LMN" or c in "_-"


def safe_layer_name(text: str) -> str:
    """A layer name safe in the workspace, in messages, file names and URLs, made from any text.

    Parameters
    ----------
    text : str
        A file name (a known format's extension is dropped: ``"(2024) mines.csv"``) or any text.

    Returns
    -------
    str
        Lower-case letters (any script), digits, ``_`` and ``-``, starting with a letter or digit,
        at most :data:`~geo.settings.MAX_LAYER_NAME_CHARS` characters: ``"2024_mines"``,
        ``"<b>x</b>"`` -> ``"b_x_b"``, ``"../../etc/x"`` -> ``"etc_x"``; ``"layer"`` when nothing is
        left. Names the workspace keeps for itself get a ``layer_`` prefix.
    """
    text = _name_chars(text).strip()
    suffix = PurePosixPath(text.replace("\\", "/")).suffix
    if suffix.lower() in FORMATS and len(text) > len(suffix):
        text = text[: -len(suffix)]
    slug = "".join(c if _word_char(c) else "_" for c in text.lower())
    slug = re.sub(r"[_-]*_[_-]*", "_", slug)
    slug = slug.lstrip("_-")[:MAX_LAYER_NAME_CHARS].rstrip("_-")
    if not slug:
        return "layer"
    if slug.startswith(RESERVED_PREFIXES) or slug in RESERVED_NAMES:
        slug = f"layer_{slug}"[:MAX_LAYER_NAME_CHARS].rstrip("_-")
    return slug


def check_layer_name(name: str, *, argument: str = "name") -> str:
    """Check a layer name given by hand (``--name``, a text box) before anything is read or saved.

    Parameters
    ----------
    name : str
        The name. It may hold letters (any script), digits, spaces, ``_``, ``-``, ``.``, ``(`` and
        ``)``, must start with a letter or digit, hold no ``..``, not end with a space, not be one
        the workspace keeps for itself and be at most :data:`~geo.settings.MAX_LAYER_NAME_CHARS`
        characters.
    argument : str, keyword-only
        What to call the name in the message (``"--name"`` in the CLI).

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    LayerError
        ``"--name: '../../etc/x' cannot be a layer name: it starts with '.', not a letter or digit;
        use ..., for example 'etc_x'"`` (the example is :func:`safe_layer_name` of it).
    """
    if not isinstance(name, str):
        msg = f"{argument}: expected a layer name (text), got {type(name).__name__}"
        raise LayerError(msg)
    problem = None
    if not name.strip():
        problem = "is empty"
    elif len(name) > MAX_LAYER_NAME_CHARS:
        problem = f"is {len(name)} characters long, more than {MAX_LAYER_NAME_CHARS}"
    elif unicodedata.category(name[0])[0] not in "LN":
        problem = f"starts with {name[0]!r}, not a letter or digit"
    elif ".." in name:
        problem = "holds '..'"
    elif name != name.rstrip():
        problem = "ends with a space"
    elif name.lower().startswith(RESERVED_PREFIXES) or name.lower() in RESERVED_NAMES:
        problem = "is reserved by the workspace"
    else:
        bad = next((c for c in name if not (_word_char(c) or c in " .()")), None)
        if bad is not None:
            problem = f"holds {bad!r}"
    if problem:
        msg = (
            f"{argument}: {name!r} cannot be a layer name: it {problem}; use letters, digits, spaces, "
            f"'_', '-', '.', '(' and ')', starting with a letter or digit, "
            f"for example {safe_layer_name(name)!r}"
        )
        raise LayerError(msg)
    return name


def layer_title(label: str) -> str:
    """The file's name without a known format's extension: ``"mines.csv"`` -> ``"mines"``."""
    suffix = PurePosixPath(label).suffix
    return label[: -len(suffix)] if suffix.lower() in FORMATS and len(label) > len(suffix) else label
