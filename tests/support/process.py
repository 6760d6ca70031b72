"""A real `devserve` process for tests that talk to it over HTTP: free ports, start, stop."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devserve.instance import DEFAULT_DASHBOARD_PORT
from tests.support.waiting import wait_until


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default (macOS and Windows start at 49152: below is safe there too)


def _slice() -> range:
    """This xdist worker's own ports, below the kernel's ephemeral range.

    A port the kernel calls free (bind to port 0) comes from the ephemeral range, which is also
    where every outgoing connection (a browser's, a client's, another worker's) takes its local
    port: between the moment a test finds it free and the moment devserve binds it, a
    connection can take it. Below that range nothing takes a port unasked, and each worker
    having its own slice, two workers never pick the same one."""
    first, end = 10000, _ephemeral_start()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker) if worker.isdigit() else 0
    size = (end - first) // max(workers, 1)
    return range(first + index * size, first + (index + 1) * size)


_PORTS = _slice()
_next = [random.randrange(len(_PORTS))] if len(_PORTS) > 100 else []


def free_port() -> int:
    """A port nothing listens on, handed out in turn from this worker's slice (so one test's
    port is not another's a moment later); the kernel's choice if there is no slice."""
    for _ in range(200 if _next else 0):
        port = _PORTS[_next[0] % len(_PORTS)]
        _next[0] += 1
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive free ports (`devserve demo --port BASE` uses four)."""
    for _ in range(100):
        base = free_port()
        if base + count > 65535:
            continue
        try:
            with contextlib.ExitStack() as stack:
                for port in range(base, base + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            if _next:
                _next[0] += count - 1  # the next free_port() comes after the block
            return base
        except OSError:
            continue
    raise AssertionError(f"no {count} consecutive free ports found")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Devserve:
    """A running `devserve` process; ``output()`` is everything it printed so far."""

    process: subprocess.Popen[str]
    log_path: Path
    ports: list[int] = field(default_factory=list)

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"


StartDevserve = Callable[..., Devserve]


def run_command(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m devserve ARGS` to completion (a short command, not a server)."""
    return subprocess.run(
        [sys.executable, "-m", "devserve", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _limited_to(address_space: int) -> Callable[[], None]:
    def limit() -> None:  # in the child, before exec: a runaway allocation fails there
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return limit


def run_devserve(
    args: list[str],
    *,
    cwd: Path,
    wait_ports: list[int],
    timeout: float = 15,
    address_space: int | None = None,
    default_dashboard: bool = False,
) -> Devserve:
    """Start `python -m devserve ARGS` and wait until every port in ``wait_ports`` answers.

    ``address_space``: an RLIMIT_AS in bytes, for tests that try to exhaust memory (glibc gets
    two malloc arenas, so the limit counts allocations rather than per-thread reservations).
    Only tests of the xdist group "default-dashboard-port" may leave the dashboard on its
    default port (``default_dashboard``): any other test that took it would make one of theirs
    fail (under CI=true a busy default port is a failure, not a skip), so it fails itself."""
    log_path = cwd / f"devserve-{time.monotonic_ns()}.log"
    log = log_path.open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if address_space is not None:
        env["MALLOC_ARENA_MAX"] = "2"
    process = subprocess.Popen(
        [sys.executable, "-m", "devserve", *args],
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        preexec_fn=None if address_space is None else _limited_to(address_space),
    )
    server = Devserve(process=process, log_path=log_path, ports=wait_ports)

    def listening() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"devserve exited with {process.returncode}:\n{server.output()}")
        return all(port_open(p) for p in wait_ports)

    try:
        wait_until(listening, f"ports {wait_ports}", timeout=timeout, output=server.output)
        if not default_dashboard:
            _not_on_the_default_dashboard_port(server)
    except AssertionError:
        process.kill()
        process.wait()
        raise
    return server


def _not_on_the_default_dashboard_port(server: Devserve) -> None:
    wait_until(
        lambda: "dashboard:" in server.output() or server.process.poll() is not None,
        "the banner",
        output=server.output,
    )
    banner = server.output()
    assert f"dashboard: http://127.0.0.1:{DEFAULT_DASHBOARD_PORT}" not in banner, (
        "this test's devserve took the default dashboard port: give its config a "
        "dashboard_port (or false), or put the test in the default-dashboard-port group"
    )


def listening_addresses(port: int) -> set[str]:
    """The addresses a TCP socket listens on at ``port`` (from /proc/net, Linux): what a
    listening socket exposes, read without sending traffic to any non-loopback address."""
    found: set[str] = set()
    for table, ipv6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # /proc writes each 32-bit word of the address in host (little-endian) order.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(str(ipaddress.IPv6Address(words) if ipv6 else ipaddress.IPv4Address(words)))
    return found


def unread_requests(port: int) -> list[int]:
    """For each connection a server at ``port`` has accepted, how many bytes it has yet to read
    (from /proc/net, Linux): all zeros once it has read every request sent to it."""
    unread = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state, queues = line.split()[1], line.split()[3], line.split()[4]
            if state == "01" and int(local.rpartition(":")[2], 16) == port:  # 01: ESTABLISHED
                unread.append(int(queues.partition(":")[2], 16))
    return unread


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """``VmHWM`` (peak resident set) or ``VmRSS`` (now) of ``pid``, in MiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(f"{field} not in /proc/{pid}/status")
