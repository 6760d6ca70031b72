"""What the benchmarks share: the peers' folder, free ports, a server process started and
stopped, and wrk runs read into numbers. Only 127.0.0.1 is ever contacted."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PEERS = Path(os.environ.get("DEVSERVE_PEERS", Path.home() / ".cache" / "devserve-peers"))
PAGE_ORIGIN = "http://localhost:8000"


@dataclass
class Load:
    """One wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # connect, read and write errors, and non-2xx/3xx responses
    timeouts: int  # responses slower than wrk's --timeout (2 s unless asked)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 20) -> float:
    """Seconds until ``port`` accepts a connection."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return time.perf_counter() - start
        time.sleep(0.005)
    raise SystemExit(f"nothing answered on port {port} within {timeout} s")


@contextmanager
def process(args: list[str], ports: list[int], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        for port in ports:
            wait_port(port)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def duration_ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m|h)$", text)
    if not match:
        return float("nan")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
    return float(match[1]) * scale[match[2]]


def best_of(rounds: int, targets: dict[str, str], **load: float) -> dict[str, Load]:
    """Each target measured ``rounds`` times, interleaved (A B C A B C ...), its best run kept:
    a burst of load from elsewhere on the machine then hurts every side alike."""
    best: dict[str, Load] = {}
    for _ in range(rounds):
        for name, url in targets.items():
            run = wrk(url, seconds=load["seconds"], connections=int(load["connections"]))
            if name not in best or run.rps > best[name].rps:
                best[name] = run
    return best


def wrk(
    url: str, *, seconds: float, connections: int, origin: bool = True, timeout: float = 2
) -> Load:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", f"--timeout={timeout:g}s"]
    args += ["--latency", url]
    if origin:
        args[1:1] = ["-H", f"Origin: {PAGE_ORIGIN}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = duration_ms(re.search(r"50%\s+(\S+)", out)[1])  # type: ignore[index]
    p99 = duration_ms(re.search(r"99%\s+(\S+)", out)[1])  # type: ignore[index]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write) (\d+)", out))
    timeouts = sum(int(n) for n in re.findall(r"timeout (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(rps, p50, p99, errors + (int(non2xx[1]) if non2xx else 0), timeouts)
