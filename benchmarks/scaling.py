"""Costs that must stay flat as a project grows, for benchmarks/compare.py: the same request on
a small and on a large project, side by side (origins, routes, mock-folder files); start-up
with 20 origins; the CPU devserve's watcher takes, idle, over a 50,000-file tree.

Run by compare.py (``--no-scaling`` skips these lines). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, process, wait_port, wrk

ORIGINS = (1, 20)
ROUTES = (5, 2000)
FILES = (10, 20_000)
WATCHED = 50_000  # files in the watched tree, 100 a folder
STARTS = 3  # start-up with 20 origins: the median of this many


@dataclass
class Pair:
    """One cost measured on a small and a large project: the URLs wrk loads, the processes
    that answer them, and what was measured (best of the rounds: req/s, CPU µs a request)."""

    what: str
    small: int
    large: int
    urls: tuple[str, str]
    pids: tuple[int, int]
    rps: list[float] = field(default_factory=lambda: [0.0, 0.0])
    cpu_us: list[float] = field(default_factory=lambda: [float("inf"), float("inf")])

    @property
    def ratio(self) -> float:
        """The large project's cost of a request over the small one's (CPU time)."""
        return self.cpu_us[1] / self.cpu_us[0]


def _devserve(config: Path, *, watch: bool = False) -> list[str]:
    reload = [] if watch else ["--no-reload"]
    return [sys.executable, "-m", "devserve", "-q", "run", *reload, "-c", str(config)]


def _settings(dashboard: int, *, live_reload: bool = False) -> str:
    return f"[devserve]\ndashboard_port = {dashboard}\nlive_reload = {str(live_reload).lower()}\n"


def _origins(root: Path, count: int) -> tuple[Path, list[int]]:
    """``count`` static origins, CORS on, each serving the same 10 KiB file."""
    web = root / "web"
    web.mkdir(parents=True)
    (web / "file.txt").write_bytes(b"x" * 10 * 1024)
    ports = [free_port() for _ in range(count)]
    text = _settings(free_port())
    for index, port in enumerate(ports):
        text += f'\n[origins.o{index}]\nport = {port}\nstatic = "web"\ncors = "on"\n'
    (root / "devserve.toml").write_text(text)
    return root / "devserve.toml", ports


def _routes(root: Path, count: int) -> tuple[Path, int]:
    """``count`` routes, the last one answering only ``?a=1`` (so the layers run each time)."""
    root.mkdir(parents=True)
    port = free_port()
    text = _settings(free_port()) + f'\n[origins.api]\nport = {port}\ncors = "on"\n'
    for index in range(count - 2):
        text += f'\n[[origins.api.routes]]\npath = "/r{index}"\njson = {{ n = {index} }}\n'
    text += '\n[[origins.api.routes]]\npath = "/items/{id}"\njson = { item = true }\n'
    text += '\n[[origins.api.routes]]\npath = "/last"\nmatch = { query = { a = "1" } }\n'
    text += 'json = { last = true }\n'
    (root / "devserve.toml").write_text(text)
    return root / "devserve.toml", port


def _folder(root: Path, files: int) -> tuple[Path, int]:
    """A mock folder of ``files`` JSON files in one folder."""
    mocks = root / "mocks"
    mocks.mkdir(parents=True)
    for index in range(files):
        (mocks / f"item{index}.json").write_text(f'{{"n": {index}}}')
    port = free_port()
    text = _settings(free_port()) + f'\n[origins.api]\nport = {port}\ncors = "on"\n'
    (root / "devserve.toml").write_text(text + 'mocks = "mocks"\n')
    return root / "devserve.toml", port


def start(root: Path, servers: contextlib.ExitStack) -> tuple[list[Pair], float]:
    """Start every small and large project; the pairs to measure, and how long the one with
    20 origins takes from the command to all of them answering (the median of STARTS)."""
    url = "http://127.0.0.1:{}{}".format
    config, ports = _origins(root / "origins-large", ORIGINS[1])
    times = []
    for _ in range(STARTS - 1):  # started, timed and stopped; the last start stays
        with contextlib.ExitStack() as once:
            began = time.perf_counter()
            once.enter_context(process(_devserve(config), ports, root))
            times.append(time.perf_counter() - began)
    began = time.perf_counter()
    large = servers.enter_context(process(_devserve(config), ports, root))
    startup = statistics.median([*times, time.perf_counter() - began])
    config, small_ports = _origins(root / "origins-small", ORIGINS[0])
    small = servers.enter_context(process(_devserve(config), small_ports, root))
    urls = (url(small_ports[0], "/file.txt"), url(ports[-1], "/file.txt"))
    pairs = [Pair("origins", *ORIGINS, urls, (small.pid, large.pid))]
    made = []
    for count in ROUTES:
        config, port = _routes(root / f"routes-{count}", count)
        made.append((servers.enter_context(process(_devserve(config), [port], root)), port))
    urls = (url(made[0][1], "/last?a=1"), url(made[1][1], "/last?a=1"))
    pairs.append(Pair("routes", *ROUTES, urls, (made[0][0].pid, made[1][0].pid)))
    made = []
    for files in FILES:
        config, port = _folder(root / f"folder-{files}", files)
        made.append((servers.enter_context(process(_devserve(config), [port], root)), port))
    urls = (url(made[0][1], "/item5"), url(made[1][1], "/item5"))
    pairs.append(Pair("mock-folder files", *FILES, urls, (made[0][0].pid, made[1][0].pid)))
    return pairs, startup


def measure(pairs: list[Pair], *, rounds: int, seconds: float, connections: int) -> None:
    """wrk on each side of each pair in turn (small, large, small, large...), ``rounds``
    times; each keeps its best req/s and its least CPU time a request (the server's own, read
    from /proc: what a busy machine disturbs least)."""
    for pair in pairs:
        for url in pair.urls:  # warm: files read, listings kept
            wrk(url, seconds=1, connections=connections)
    for _ in range(rounds):
        for pair in pairs:
            for side in (0, 1):
                before = _cpu_seconds(pair.pids[side])
                load = wrk(pair.urls[side], seconds=seconds, connections=connections)
                used = _cpu_seconds(pair.pids[side]) - before
                pair.rps[side] = max(pair.rps[side], load.rps)
                requests = load.rps * seconds
                if requests:
                    pair.cpu_us[side] = min(pair.cpu_us[side], 1e6 * used / requests)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_watch_cpu(root: Path, seconds: float = 10) -> float:
    """Percent of one core devserve takes over ``seconds``, idle, watching a static folder of
    WATCHED files (live reload on), once its start-up is over."""
    web = root / "watched" / "web"
    for index in range(WATCHED):
        folder = web / f"d{index // 100}"
        if index % 100 == 0:
            folder.mkdir(parents=True)
        (folder / f"f{index}.js").write_text("export {};\n")
    port = free_port()
    text = _settings(free_port(), live_reload=True)
    (root / "watched" / "devserve.toml").write_text(
        text + f'\n[origins.web]\nport = {port}\nstatic = "web"\n'
    )
    command = _devserve(root / "watched" / "devserve.toml", watch=True)
    with process(command, [port], root) as served:
        wait_port(port)
        previous = _cpu_seconds(served.pid)
        while True:  # start-up (and the watcher's first walk) over: a quiet second
            time.sleep(1)
            now = _cpu_seconds(served.pid)
            if now - previous < 0.05:
                break
            previous = now
        began, cpu = time.perf_counter(), _cpu_seconds(served.pid)
        time.sleep(seconds)
        used = _cpu_seconds(served.pid) - cpu
        return 100 * used / (time.perf_counter() - began)
