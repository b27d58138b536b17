"""Start-up time and memory of the simulated world: the generated default, and the real catalog.

Each world is built in a fresh subprocess so its peak RSS is its own. Run with
``.venv/bin/python bench/world.py [--real-data DIR]``; targets: ready in 10 s or
less, at most 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

_PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    started = time.perf_counter()
    source = sys.argv[1]
    if source == "generated":
        from simulator.catalog.loader import generated_world
        world = generated_world()
    else:
        from pathlib import Path
        from simulator.catalog.real import real_world
        world = real_world(Path(source) if source != "real" else None)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": elapsed, "peak_bytes": peak, "sizes": world.stats()}))
    """
)


def measure(source: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, source], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--real-data",
        default="real",
        help="directory of the real Fedora data (default: ../shared/data)",
    )
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    rows = [("generated (default)", measure("generated"))]
    if not args.skip_real:
        rows.append(("real (../shared/data)", measure(args.real_data)))
    print(f"{'world':<24}{'ready s':>9}{'peak RSS MB':>13}  {'target':<18} sizes")
    for name, row in rows:
        seconds = float(row["seconds"])  # type: ignore[arg-type]
        peak_mb = int(row["peak_bytes"]) / 2**20  # type: ignore[call-overload]
        verdict = "ok" if seconds <= 10 and peak_mb <= 1536 else "MISSED"
        target = "<=10 s, <=1.5 GB"
        print(f"{name:<24}{seconds:>9.2f}{peak_mb:>13.0f}  {target:<18}{verdict:<7}{row['sizes']}")


if __name__ == "__main__":
    main()
