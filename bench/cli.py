"""Command-line start-up: ``mineral-atlas --help``, ``layers`` and ``export facilities``, warm (the
layers' disk cache filled by a first run), each the median of 5 fresh processes, against
``python -c "import geopandas"`` in the same run (the anchor: no command can start faster than the
library it needs).

Targets: ``--help`` and ``layers`` <= 1.5 s; ``export facilities`` <= 2 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("mineral-atlas")
RUNS = 5


def _median_s(cmd: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "f.geojson")
        commands = {
            "mineral-atlas --help": [str(CLI), "--help"],
            "mineral-atlas layers": [str(CLI), "layers"],
            "mineral-atlas export facilities": [str(CLI), "export", "facilities", "-o", out],
        }
        for cmd in commands.values():  # warm: the layers' disk cache and the OS file cache
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        anchor = _median_s([sys.executable, "-c", "import geopandas"])
        print(f"anchor: python -c 'import geopandas'  {anchor:6.2f} s")
        targets = {"mineral-atlas --help": 1.5, "mineral-atlas layers": 1.5}
        for name, cmd in commands.items():
            seconds = _median_s(cmd)
            target = targets.get(name, 2.0)
            print(f"{name:34} {seconds:6.2f} s  ({seconds / anchor:.2f}x the anchor; target <= {target:g} s)")


if __name__ == "__main__":
    main()
