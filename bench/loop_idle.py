"""The event loop's pauses with nothing to do: the machine's own share of a probe's lateness.

Run: ``.venv/bin/python bench/loop_idle.py [--seconds 60]``. The same probe as
``bench/import_export.py`` (a task sleeping 5 ms records how late it wakes),
in a process doing nothing else: what it records is the operating system
scheduling the process late, which no change to the service removes. Compare
an import's pauses with this, taken at the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time


async def probe(seconds: float) -> dict[str, float]:
    lateness: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        lateness.append(time.perf_counter() - started - 0.005)
    lateness.sort()
    return {
        "samples": len(lateness),
        "p99_ms": lateness[int(len(lateness) * 0.99)] * 1000,
        "max_ms": lateness[-1] * 1000,
        "over_50ms": sum(1 for late in lateness if late > 0.05),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    print(json.dumps(asyncio.run(probe(args.seconds)), indent=1))


if __name__ == "__main__":
    main()
