"""The tutorial's own stack in a virtualenv of its own: bench/.tutorial-venv.

Built once from ``tutorial_part9/requirements.txt`` and rebuilt when that file
changes (its hash is kept in the venv). Offline, or wherever the build fails,
:func:`tutorial_python` says why and returns None, so the rest of the benchmark
still runs without that yardstick.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".tutorial-venv"
REQUIREMENTS = BENCH / "tutorial_part9" / "requirements.txt"
APP_DIR = BENCH / "tutorial_part9"
STAMP = VENV / ".requirements-sha256"


def _digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def tutorial_python(*, quiet: bool = False) -> Path | None:
    """The pinned venv's interpreter, building the venv if needed; None if it cannot be built."""
    python = VENV / "bin" / "python"
    wanted = _digest()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return python
    if not quiet:
        print(f"Building the tutorial's pinned virtualenv in {VENV} (once) ...", flush=True)
    shutil.rmtree(VENV, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        # --no-deps: the file is the whole closure, pinned, and the tutorial's own
        # ranges conflict on 3.11 (see the file's notes), which a resolver refuses.
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(REQUIREMENTS)],
    ]
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
            print(
                "NOTE: the tutorial's pinned virtualenv could not be built, so its rows are "
                f"left out of this run.\n  {' '.join(argv[:4])} ... failed:\n{tail}",
                flush=True,
            )
            shutil.rmtree(VENV, ignore_errors=True)
            return None
    STAMP.write_text(wanted + "\n")
    return python


if __name__ == "__main__":
    found = tutorial_python()
    print(found if found else "unavailable")
    sys.exit(0 if found else 1)
