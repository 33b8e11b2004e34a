"""Helpers shared by the benchmark sections: free ports, servers as subprocesses, memory."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the uvicorn worker), in MB."""
    total_kb = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it, parents first."""
    pids = [pid]
    for one in pids:  # grows as it goes: breadth first
        for task in Path(f"/proc/{one}/task").iterdir():
            children = task / "children"
            if children.exists():
                pids += [int(p) for p in children.read_text().split()]
    return pids


def tree_memory_mb(pid: int) -> tuple[float, float, float]:
    """The process alone (RSS), and it with all its descendants: RSS summed, PSS summed.

    The descendants are the worker's forkserver and the children it forked (the
    search process): forked children share most of their pages with the
    forkserver, which RSS counts once per process and PSS divides among them.
    """
    kb: list[dict[str, int]] = []
    for one in descendants(pid):
        lines = Path(f"/proc/{one}/smaps_rollup").read_text().splitlines()[1:]
        fields = (line.partition(":") for line in lines)
        kb.append({name: int(value.split()[0]) for name, _, value in fields})
    return (
        kb[0]["Rss"] / 1024,
        sum(each["Rss"] for each in kb) / 1024,
        sum(each["Pss"] for each in kb) / 1024,
    )


@contextlib.contextmanager
def server(
    argv: Sequence[str], port: int, env: Mapping[str, str] | None = None, ready_path: str = "/"
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``argv`` (a server on ``port``), wait until it answers, stop it afterwards.

    Its stderr goes to a temporary file, not a pipe: a pipe nobody reads fills
    up under a server that logs, and then the server blocks mid-benchmark.
    """
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            list(argv),
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    err = log.read().decode(errors="replace")
                    raise RuntimeError(f"{argv[0]} exited early: {err[-2000:]}")
                try:
                    httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def serve_on_free_port(
    stack: contextlib.ExitStack, argv: Sequence[str], url: str, pythonpath: str, cache_mb: int
) -> tuple[subprocess.Popen[bytes], int]:
    """One app (``argv`` with a ``--port`` to fill) on ``url``, kept running by ``stack``."""
    port = free_port()
    argv = list(argv)
    argv[argv.index("--port") + 1] = str(port)
    env = {
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "METRICS_ENABLED": "true",
        "ANSWER_CACHE_MB": str(cache_mb),
        "PYTHONPATH": pythonpath,
    }
    return stack.enter_context(server(argv, port, env, "/api/v1/recipes/1")), port


def uvicorn_argv(app: str, port: int, *, factory: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--host", "127.0.0.1"]
    argv += ["--log-level", "warning", "--no-access-log", "--workers", "1"]
    return [*argv, "--factory"] if factory else argv
