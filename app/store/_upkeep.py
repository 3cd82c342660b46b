"""Check and repair as every workspace backend does them: the problems in words, and the fixes.

A backend finds what is inconsistent between its index and its tables (:meth:`Upkeep._findings`) and
makes the fixes below inside one transaction of its own; they change the index through the backend's
``_insert_row``, ``_update_row`` and ``_unlist``, and never drop a table.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.store._records import TABLE_PREFIX, Row, now_iso
from geo.settings import LOCAL_USER


@dataclass(frozen=True)
class Findings:
    """What is inconsistent between a workspace's index and its tables.

    Attributes
    ----------
    missing : list of Row
        Index rows whose table does not exist.
    orphans : list of str
        Layer tables that no index row names, sorted.
    counts : list of (Row, int)
        Index rows whose feature count differs from their table's, with the table's count.
    reserved : list of Row
        Index rows named like a built-in layer.
    has_index : bool
        Whether the index table exists.
    """

    missing: list[Row]
    orphans: list[str]
    counts: list[tuple[Row, int]]
    reserved: list[Row]
    has_index: bool = True


class Upkeep(abc.ABC):
    """Check and repair of a workspace: the public methods and the fixes every backend makes alike.

    ``conn`` is the backend's connection, inside a transaction the backend opened.
    """

    # ------------------------------------------------------------------ backend primitives
    @abc.abstractmethod
    def is_reserved(self, name: str) -> bool:
        """Whether ``name`` is a built-in layer's name."""

    @abc.abstractmethod
    def _check(self) -> list[str]:
        """Problems of the store."""

    @abc.abstractmethod
    def _repair(self) -> list[str]:
        """Fix the problems of the store; what was done."""

    @abc.abstractmethod
    def _insert_row(self, conn: Any, values: dict[str, Any]) -> None:
        """Add an index row, ``values`` by column (``name`` among them)."""

    @abc.abstractmethod
    def _update_row(self, conn: Any, name: str, values: dict[str, Any]) -> None:
        """Set the columns ``values`` of the index row of layer ``name``."""

    @abc.abstractmethod
    def _unlist(self, conn: Any, name: str) -> None:
        """Remove the index row of layer ``name`` (its table stays)."""

    @abc.abstractmethod
    def _count(self, conn: Any, table: str) -> int:
        """Number of rows of ``table``."""

    # ------------------------------------------------------------------ public
    def check(self) -> list[str]:
        """What is wrong with the workspace, one sentence per problem (empty when it is sound).

        Finds index rows without a table, tables without an index row, feature counts that disagree,
        leftover temporary files and files that are no database at all. Changes nothing.
        """
        return self._check()

    def repair(self) -> list[str]:
        """Fix what :meth:`check` finds; one sentence per fix (empty when nothing needed fixing).

        Rows without a table are removed from the index; tables left by an interrupted save are
        dropped; tables of layers whose index row was lost are listed again (owned by the local user);
        counts are corrected; temporary files removed. A file that is no database is moved aside, never
        deleted.
        """
        return self._repair()

    # ------------------------------------------------------------------ finding
    def _findings(
        self, conn: Any, rows: list[Row], tables: set[str], layer_tables: set[str], *, has_index: bool = True
    ) -> Findings:
        """What is inconsistent between the index ``rows`` and the ``tables`` of the store (read-only).

        ``layer_tables`` are the tables that hold a layer, whether the index names them or not.
        """
        counts = []
        for r in rows:
            if r.table in tables:
                n = self._count(conn, r.table)
                if n != r.features:
                    counts.append((r, n))
        return Findings(
            missing=[r for r in rows if r.table not in tables],
            orphans=sorted(layer_tables - {r.table for r in rows}),
            counts=counts,
            reserved=[r for r in rows if self.is_reserved(r.name)],
            has_index=has_index,
        )

    @staticmethod
    def _problems(found: Findings) -> list[str]:
        """The problems of ``found`` in words, one sentence each."""
        return (
            [
                f"layer {r.name!r} (owner {r.owner!r}) is in the index but its table {r.table!r} is missing"
                for r in found.missing
            ]
            + [f"table {t!r} holds no layer of the index" for t in found.orphans]
            + [
                f"layer {r.name!r}: the index counts {r.features} features, its table holds {n}"
                for r, n in found.counts
            ]
            + [f"layer {r.name!r} has the name of a built-in layer" for r in found.reserved]
        )

    # ------------------------------------------------------------------ fixing
    def _free_name(self, taken: set[str], stem: str, *, first: str, nth: str) -> str:
        """The first of ``stem + first``, ``stem + nth.format(n=2)``, ``n=3``... neither taken nor reserved.

        The name returned is added to ``taken``.
        """
        name, n = stem + first, 1
        while name in taken or self.is_reserved(name):
            n += 1
            name = stem + nth.format(n=n)
        taken.add(name)
        return name

    def _unlist_missing(self, conn: Any, found: Findings) -> list[str]:
        """Remove the index rows whose table is missing; what was done."""
        fixes = []
        for r in found.missing:
            self._unlist(conn, r.name)
            fixes.append(
                f"removed layer {r.name!r} (owner {r.owner!r}) from the index: its table was missing"
            )
        return fixes

    def _relist_orphans(self, conn: Any, found: Findings, names: set[str]) -> list[str]:
        """List each table without an index row again, under a name not in ``names``; what was done."""
        fixes = []
        for table in found.orphans:
            # a save is one transaction, so a table without its row lost the row to some damage: keep it
            stem = f"recovered {table}" if table.startswith(TABLE_PREFIX) else table
            name = self._free_name(names, stem, first="", nth=" ({n})")
            values = {
                "name": name,
                "table_name": table,
                "kind": "import",
                "source": f"recovered table {table}",
                "saved_at": now_iso(),
                "features": self._count(conn, table),
                "owner": LOCAL_USER,
                "shared": False,
                "title": name,
            }
            self._insert_row(conn, values)
            fixes.append(f"listed table {table!r} again as layer {name!r} (owner {LOCAL_USER!r}, not shared)")
        return fixes

    def _recount(self, conn: Any, found: Findings) -> list[str]:
        """Set the feature counts that disagree with their tables; what was done."""
        fixes = []
        for r, n in found.counts:
            self._update_row(conn, r.name, {"features": n})
            fixes.append(f"layer {r.name!r}: corrected the feature count from {r.features} to {n}")
        return fixes

    def _rename_reserved(self, conn: Any, reserved: Iterable[str], names: set[str]) -> list[str]:
        """Rename the layers named ``reserved`` (built-in layers' names) to names not in ``names``."""
        done = []
        for name in reserved:
            new = self._free_name(names, name, first=" (saved)", nth=" (saved {n})")
            self._update_row(conn, name, {"name": new, "title": new})
            done.append(f"renamed layer {name!r} to {new!r}: {name!r} is a built-in layer's name")
        return done
