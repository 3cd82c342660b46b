"""Error classes of Mineral Atlas.

Each subclasses a built-in so callers can catch either the precise class or the built-in.
Messages name the argument or file, the feature where relevant, the value and what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geo.io import LayerInfo


class CRSError(ValueError):
    """A GeoDataFrame has no CRS, or one that cannot be used."""


class LayerError(ValueError):
    """A layer (file or frame) is unreadable or breaks the schema."""


class ExportError(ValueError):
    """A layer cannot be exported in the requested form."""


class InputError(ValueError):
    """An argument has a value or geometry the function cannot use."""


class WorkspaceBusy(LayerError):
    """Another write holds the workspace for longer than the lock timeout: try again."""


class WorkspaceDamaged(LayerError):
    """The workspace cannot be read as it is.

    ``mineral-atlas workspace --check/--repair`` says why and fixes it.
    """


class LayerPermissionError(LayerError, PermissionError):
    """The layer belongs to another user: it can be read when shared, never replaced or deleted."""


class LayerChoiceError(LayerError):
    """A source holds several layers and none was chosen; ``layers`` lists them (``geo.io.LayerInfo``)."""

    def __init__(self, message: str, layers: Sequence[LayerInfo] | None = None) -> None:
        super().__init__(message)
        self.layers = list(layers or [])
