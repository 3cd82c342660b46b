"""Warm-up of a fresh server and the readiness it reports at ``/health``.

A fresh process has imported nothing and read nothing: the first visitor would wait for the imports,
the layers and the transport networks. :class:`WarmUp` does that work once, in a background thread
started by the server's lifespan, step by step (:func:`default_steps`, then :func:`first_visit`: one
run of the script as a visitor's, which fills what only a script run fills, ``st.cache_data`` for
one); ``/health`` answers 503 (``warming``, or ``failed`` with the reason) until every step is done,
then 200 (``ready``) with each step's time. Streamlit serves meanwhile (its own liveness check is
``/_stcore/health``), so a load balancer or a script can wait for ``/health`` before sending visitors.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import logging
import pkgutil
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)

#: States of a warm-up, in order; ``failed`` replaces ``ready`` when a step raised.
STATES: tuple[str, ...] = ("pending", "warming", "ready", "failed")

Step = tuple[str, Callable[[], Any]]


def script_imports(script: Path) -> list[str]:
    """Absolute module names imported at the top level of ``script`` (``from __future__`` left out)."""
    tree = ast.parse(Path(script).read_text(encoding="utf-8"), filename=str(script))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module is not None
            and node.module != "__future__"
        ):
            names.append(node.module)
    return list(dict.fromkeys(names))


def needs_script_run(module: str) -> bool:
    """Whether ``module`` must be imported by the script itself.

    Streamlit and packages built on it (``streamlit_*``: a custom component registers itself only
    when declared inside a script run, so importing ``streamlit_folium`` here would leave its
    frontend unserved, a 404) and the ``app`` package (its pages use such components).
    """
    top = module.split(".")[0]
    return top.startswith("streamlit") or top == "app"


def warm_modules(
    script: Path,
    *,
    packages: Sequence[str] = ("geo", "layers"),
    extra: Sequence[str] = ("folium", "geopandas"),
) -> list[str]:
    """What the first script run would import and the warm-up may.

    Every public module of ``packages`` (private ones come with them when used), the ``extra``
    libraries and the script's own imports, less those that :func:`needs_script_run`.
    """
    names: list[str] = []
    for package in packages:
        module = importlib.import_module(package)
        names.append(package)
        found = pkgutil.walk_packages(module.__path__, prefix=f"{package}.")
        names.extend(info.name for info in found if not info.name.rsplit(".", 1)[-1].startswith("_"))
    names.extend(extra)
    names.extend(script_imports(script))
    return [name for name in dict.fromkeys(names) if not needs_script_run(name)]


def import_modules(names: Sequence[str]) -> None:
    """Import ``names``; one that fails is logged and left to the script, which shows its error."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the script imports it again and reports the problem to the visitor
            logger.warning("warm-up: import of %s failed: %s", name, exc)


def default_steps(script: Path, *, extra: Sequence[Step] = ()) -> list[Step]:
    """The warm-up of the atlas, step by step.

    Imports (:func:`warm_modules`), every built-in layer, the road/rail/sea networks, the routes layer
    computed over them, then ``extra`` steps (such as the OGC collections).
    """
    import layers
    from geo.network import network

    def read_layers() -> None:
        for name in layers.names():
            if name != "routes":
                layers.load(name)

    def load_networks() -> None:
        for mode in ("road", "rail", "sea"):
            network(mode)

    return [
        ("imports", lambda: import_modules(warm_modules(script))),
        ("layers", read_layers),
        ("networks", load_networks),
        ("routes layer", lambda: layers.load("routes")),
        *extra,
    ]


class _SilentClient:
    """A session client with no browser: drops what the script sends, notes when a run has finished."""

    client_context = None

    def __init__(self) -> None:
        self.finished = threading.Event()
        self.statuses: list[int] = []
        self.errors: list[str] = []

    def write_forward_msg(self, msg) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "exception":
                self.errors.append(f"{element.exception.type}: {element.exception.message}")
        if kind == "script_finished":
            self.statuses.append(msg.script_finished)
            if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.finished.set()


def first_visit(loop: asyncio.AbstractEventLoop, *, query_string: str = "", timeout_s: float = 180.0) -> None:
    """Run the script once as a visitor opening ``/?{query_string}`` would, with no browser attached.

    What only a script run fills (its ``st.cache_data`` and ``st.cache_resource`` entries, Streamlit's
    lazily imported elements, the compiled script, the components it declares) is then ready for the
    first real visitor. Uses Streamlit's runtime session API, on ``loop`` (the server's event loop).

    Raises
    ------
    TimeoutError
        The run did not finish within ``timeout_s``.
    RuntimeError
        The script raised (what a visitor would see as an exception in the page).
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.runtime import get_instance

    runtime = get_instance()

    def on_loop(work: Callable[[], Any]) -> Any:
        async def call() -> Any:
            return work()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout_s)

    client = _SilentClient()
    session_id = on_loop(lambda: runtime.connect_session(client=client, user_info={"is_logged_in": False}))
    try:
        message = BackMsg()
        message.rerun_script.query_string = query_string
        message.rerun_script.page_script_hash = ""
        on_loop(lambda: runtime.handle_backmsg(session_id, message))
        if not client.finished.wait(timeout_s):
            msg = f"first visit ?{query_string}: the script did not finish within {timeout_s:.0f} s"
            raise TimeoutError(msg)
        if client.errors:
            msg = f"first visit ?{query_string}: the script raised {'; '.join(client.errors)}"
            raise RuntimeError(msg)
    finally:
        on_loop(lambda: runtime.disconnect_session(session_id))


class WarmUp:
    """Runs named steps once, in order, in a background thread, and tells how far it got.

    Parameters
    ----------
    steps : sequence of (str, callable)
        Name and work of each step.
    optional : collection of str
        Steps whose failure is reported (``warnings`` of :meth:`report`) but does not stop the warm-up.
    """

    def __init__(self, steps: Sequence[Step], *, optional: Collection[str] = ()) -> None:
        self.steps = list(steps)
        self.optional = set(optional)
        self.warnings: dict[str, str] = {}
        self.state = "pending"
        self.current: str | None = None
        self.error: str | None = None
        self.seconds: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()

    def add(self, name: str, work: Callable[[], Any], *, optional: bool = False) -> None:
        """Append a step (before :meth:`start`)."""
        if self._thread is not None:
            msg = f"warm-up: step {name!r} added after the start"
            raise RuntimeError(msg)
        self.steps.append((name, work))
        if optional:
            self.optional.add(name)

    def start(self) -> None:
        """Start the steps in a daemon thread (once; later calls do nothing)."""
        with self._lock:
            if self._thread is not None:
                return
            self.state = "warming"
            self._thread = threading.Thread(target=self.run, name="mineral-atlas-warm-up", daemon=True)
            self._thread.start()

    def run(self) -> None:
        """Run every step in this thread; a step that raises stops the warm-up as ``failed``."""
        self.state = "warming"
        started = time.perf_counter()
        try:
            for name, work in self.steps:
                self.current = name
                begin = time.perf_counter()
                try:
                    work()
                except Exception as exc:
                    if name not in self.optional:
                        raise
                    self.warnings[name] = f"{type(exc).__name__}: {exc}"
                    logger.warning("warm-up: %s failed, going on: %s", name, exc)
                self.seconds[name] = round(time.perf_counter() - begin, 3)
        except Exception as exc:
            self.error = f"{self.current}: {type(exc).__name__}: {exc}"
            self.state = "failed"
            logger.error("warm-up failed at %s", self.error)
        else:
            self.current = None
            self.state = "ready"
            logger.info("warm-up done in %.1f s: %s", time.perf_counter() - started, self.seconds)
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up has ended (ready or failed); False on timeout."""
        return self._done.wait(timeout)

    def report(self) -> tuple[int, dict[str, Any]]:
        """HTTP status (200 when ready, else 503) and the JSON body of ``/health``."""
        body: dict[str, Any] = {"status": self.state, "steps_s": dict(self.seconds)}
        if self.state == "warming":
            body["step"] = self.current
        if self.state == "failed":
            body["error"] = self.error
        if self.warnings:
            body["warnings"] = dict(self.warnings)
        if self.state == "ready":
            body["warm_up_s"] = round(sum(self.seconds.values()), 3)
        return (200 if self.state == "ready" else 503), body


def health_endpoint(warmup: WarmUp) -> Callable[[Request], Awaitable[JSONResponse]]:
    """The ``/health`` endpoint of ``warmup``: 503 until warm, then 200; never cached."""

    async def health(request: Request) -> JSONResponse:
        status, body = warmup.report()
        headers = {"Cache-Control": "no-store"}
        if status != 200:
            headers["Retry-After"] = "1"
        return JSONResponse(body, status_code=status, headers=headers)

    return health
