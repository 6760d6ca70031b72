"""Resources at scale: devserve and json-server 0.17.4 side by side on one 100,000-record db.json.

Run from the repository root: ``python benchmarks/resources_scale.py [--rounds 8]`` (also run
by ``benchmarks/compare.py``). Needs ``wrk`` and Node with json-server 0.17.4 where ``.ci/run``
installs it (``$DEVSERVE_PEERS``); without json-server only devserve's lines are printed.
Only 127.0.0.1 is contacted; the whole run takes about a minute.

The file: 100,000 posts and 50,000 comments (14.5 MB as json-server writes it). Each
comment points at one of the first 200 posts: json-server's DELETE checks every foreign key by
a linear search, so with references spread over all 100,000 posts one DELETE takes minutes.

Lines (each server on its own copy of the file, requests taking turns A B A B ...):
  writes   POST, PATCH, DELETE, one at a time: p50 and p99 (the slowest of few, in effect)
  reads    ?q=, a filter, a sort, _embed (with _limit=20): p50
  blocking one GET every 5 ms on *another* origin of the same devserve (wrk, its own process),
           first alone, then while four clients write without pause: p50, p99 and max;
           json-server has one origin, so the GET goes to it (Node answers nothing while it
           writes)
  memory   RSS after the reads, and the peak (VmHWM) after the writes
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import PEERS, duration_ms, free_port, process

POSTS, COMMENTS, REFERENCED = 100_000, 50_000, 200
READS = {
    "q": "/posts?q=post%204242&_limit=20",
    "filter": "/posts?author=a17&_limit=20",
    "sort": "/posts?_sort=views&_order=desc&_limit=20",
    "_embed": "/posts?_embed=comments&_limit=20",
}
PACED = "function delay()\n  return 5\nend\n"  # wrk: one request every 5 ms
WRITERS, BURST_SECONDS = 4, 3.0


def make_db(path: Path) -> None:
    posts = [
        {"id": i, "title": f"Post {i}", "author": f"a{i % 113}", "views": (i * 37) % 5000}
        for i in range(1, POSTS + 1)
    ]
    comments = [
        {"id": j, "postId": j % REFERENCED + 1, "body": f"comment {j}"}
        for j in range(1, COMMENTS + 1)
    ]
    db = {"posts": posts, "comments": comments, "profile": {"name": "typicode"}}
    path.write_text(json.dumps(db, indent=2, ensure_ascii=False))


class Client:
    """One keep-alive connection; ``send`` returns (status, seconds)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def send(self, method: str, path: str, body: object = None) -> tuple[int, float]:
        headers = {"Origin": "http://localhost:8000"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # an idle keep-alive connection may have been closed meanwhile
            try:
                start = time.perf_counter()
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                response.read()
                return response.status, time.perf_counter() - start
            except (ConnectionError, http.client.RemoteDisconnected):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def memory(pid: int) -> tuple[float, float]:
    """(RSS, peak RSS) in MB, over the process and its children."""
    rss = hwm = 0.0
    for each in [pid, *_children(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    hwm += int(line.split()[1]) / 1024
    return rss, hwm


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            for child in text:
                found += [int(child), *_children(int(child))]
    return found


def paced_gets(url: str, seconds: float, script: Path) -> dict[str, float]:
    """A GET every 5 ms on one connection for ``seconds``: latency p50, p99, max in ms."""
    args = ["wrk", "-t1", "-c1", f"-d{seconds:g}s", "--timeout=10s", "--latency", "-s"]
    out = subprocess.run([*args, str(script), url], capture_output=True, text=True).stdout
    found: dict[str, float] = {}
    found["p50"] = duration_ms(re.search(r"50%\s+(\S+)", out)[1])  # type: ignore[index]
    found["p99"] = duration_ms(re.search(r"99%\s+(\S+)", out)[1])  # type: ignore[index]
    latency = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    found["max"] = duration_ms(latency[1]) if latency else float("nan")
    return found


def burst(port: int, seconds: float, first_id: int) -> int:
    """``WRITERS`` clients PATCH posts without pause for ``seconds``; returns the writes done."""
    done = [0] * WRITERS
    stop = time.perf_counter() + seconds

    def writer(index: int) -> None:
        client = Client(port)
        rng = random.Random(index)
        while time.perf_counter() < stop:
            item = rng.randrange(first_id, POSTS)
            client.send("PATCH", f"/posts/{item}", {"views": rng.randrange(1000)})
            done[index] += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def blocking(write_port: int, probe_url: str, script: Path) -> tuple[dict[str, float], int]:
    """The paced GETs' latency while ``WRITERS`` clients write to ``write_port``."""
    result: dict[str, dict[str, float]] = {}
    probe = threading.Thread(
        target=lambda: result.update(gets=paced_gets(probe_url, BURST_SECONDS, script))
    )
    probe.start()
    writes = burst(write_port, BURST_SECONDS, 1000)
    probe.join()
    return result["gets"], writes


def measure_writes(clients: dict[str, Client], rounds: int) -> dict[str, dict[str, list[float]]]:
    times: dict[str, dict[str, list[float]]] = {
        name: {"POST": [], "PATCH": [], "DELETE": []} for name in clients
    }
    rng = random.Random(7)
    for round_ in range(rounds):
        patch_id = rng.randrange(1, POSTS)
        delete_id = POSTS - 1 - round_  # the same item on both sides, referenced by nothing
        for name, client in clients.items():
            for method, path, body in (
                ("POST", "/posts", {"title": f"new {round_}", "author": "bench"}),
                ("PATCH", f"/posts/{patch_id}", {"views": round_}),
                ("DELETE", f"/posts/{delete_id}", None),
            ):
                status, seconds = client.send(method, path, body)
                if status >= 300:
                    raise SystemExit(f"{name}: {method} {path} answered {status}")
                times[name][method].append(seconds)
    return times


def measure_reads(clients: dict[str, Client], rounds: int) -> dict[str, dict[str, list[float]]]:
    times: dict[str, dict[str, list[float]]] = {name: {q: [] for q in READS} for name in clients}
    for _ in range(rounds):
        for query, path in READS.items():
            for name, client in clients.items():
                status, seconds = client.send("GET", path)
                if status != 200:
                    raise SystemExit(f"{name}: GET {path} answered {status}")
                times[name][query].append(seconds)
    return times


@contextlib.contextmanager
def servers(root: Path) -> Iterator[dict[str, tuple[int, int, int]]]:
    """devserve (resources origin, another origin) and json-server: name -> (pid, port, probe)."""
    (root / "ds").mkdir()
    (root / "js").mkdir()
    make_db(root / "ds" / "db.json")
    shutil.copy(root / "ds" / "db.json", root / "js" / "db.json")
    db, other, dashboard = free_port(), free_port(), free_port()
    (root / "ds" / "devserve.toml").write_text(
        f'[devserve]\ndashboard_port = {dashboard}\nlive_reload = false\n\n'
        f'[origins.db]\nport = {db}\ncors = "on"\nresources = "db.json"\n\n'
        f'[origins.other]\nport = {other}\ncors = "on"\n\n'
        '[[origins.other.routes]]\npath = "/ping"\njson = { ok = true }\n'
    )
    command = [sys.executable, "-m", "devserve", "-q", "run", "--no-reload", "-c", "devserve.toml"]
    found: dict[str, tuple[int, int, int]] = {}
    with contextlib.ExitStack() as stack:
        ds = stack.enter_context(process(command, [db, other], root / "ds"))
        found["devserve"] = (ds.pid, db, other)
        cli = PEERS / "node_modules" / "json-server" / "lib" / "cli" / "bin.js"
        node = shutil.which("node")
        if cli.is_file() and node:
            port = free_port()
            js_command = [node, str(cli), "--port", str(port), "--host", "127.0.0.1", "--quiet"]
            js = stack.enter_context(process([*js_command, "db.json"], [port], root / "js"))
            found["json-server"] = (js.pid, port, port)
        yield found


@dataclass
class Results:
    size: int
    load: float
    reads: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    writes: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    idle: dict[str, dict[str, float]] = field(default_factory=dict)
    blocked: dict[str, tuple[dict[str, float], int]] = field(default_factory=dict)
    rss: dict[str, list[float]] = field(default_factory=dict)  # at start, after reads, at end
    peak: dict[str, float] = field(default_factory=dict)


def run(rounds: int = 8) -> list[str]:
    """Measure; the report's lines (a Markdown table)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as found:
        script = Path(tmp) / "paced.lua"
        script.write_text(PACED)
        results = Results((Path(tmp) / "js" / "db.json").stat().st_size, os.getloadavg()[0])
        clients = {name: Client(port) for name, (_, port, _) in found.items()}
        for name, client in clients.items():
            client.send("GET", "/posts/1")
            results.rss[name] = [memory(found[name][0])[0]]
        results.reads = measure_reads(clients, rounds)
        for name, (pid, _, _) in found.items():
            results.rss[name].append(memory(pid)[0])
        results.writes = measure_writes(clients, rounds)
        for name, (_, port, probe) in found.items():
            url = f"http://127.0.0.1:{probe}" + ("/ping" if name == "devserve" else "/profile")
            results.idle[name] = paced_gets(url, 2, script)
            results.blocked[name] = blocking(port, url, script)
        for name, (pid, _, _) in found.items():
            now, results.peak[name] = memory(pid)
            results.rss[name].append(now)
    return report(results, rounds)


def _met(ours: float, theirs: float | None) -> str:
    return "" if theirs is None else ("yes" if ours <= theirs else "**no**")


def _row(label: str, cells: list[str], met: str = "") -> str:
    return f"| {label} | " + " | ".join(cells) + f" | {met} |"


def report(r: Results, rounds: int) -> list[str]:
    names = list(r.reads)
    peer = "json-server" if "json-server" in names else None
    lines = [
        f"{POSTS:,} posts, {COMMENTS:,} comments ({r.size / 1e6:.1f} MB); {rounds} rounds "
        f"taking turns; load average {r.load:.2f} at the start",
        "",
        _row("what", names, "target met"),
        "|---|" + "---|" * (len(names) + 1),
    ]
    for method in ("POST", "PATCH", "DELETE"):
        times = {n: (p(r.writes[n][method], 0.5), p(r.writes[n][method], 0.99)) for n in names}
        met = _met(times["devserve"][0], times[peer][0] if peer else None)
        cells = [f"{times[n][0]:.0f} / {times[n][1]:.0f}" for n in names]
        lines.append(_row(f"{method} p50 / p99 ms", cells, met))
    for query, path in READS.items():
        medians = {n: p(r.reads[n][query], 0.5) for n in names}
        met = _met(medians["devserve"], medians[peer] if peer else None)
        lines.append(_row(f"`{path}` p50 ms", [f"{medians[n]:.1f}" for n in names], met))
    gets = {n: r.idle[n] for n in names}
    cells = [f"{g['p50']:.1f} / {g['p99']:.1f} / {g['max']:.1f}" for g in gets.values()]
    lines.append(_row("GET alone, p50 / p99 / max ms", cells))
    cells = [
        f"{g['p50']:.1f} / {g['p99']:.1f} / {g['max']:.1f} ({done} writes)"
        for g, done in (r.blocked[n] for n in names)
    ]
    met = "yes" if r.blocked["devserve"][0]["p99"] <= 20 else "**no**"
    lines.append(_row(f"GET during {WRITERS} writers, p50 / p99 / max ms", cells, met))
    cells = [" / ".join(f"{mb:.0f}" for mb in r.rss[n]) for n in names]
    met = _met(max(r.rss["devserve"]), max(r.rss[peer]) if peer else None)
    lines.append(_row("RSS MB: start / after reads / end", cells, met))
    met = _met(r.peak["devserve"], r.peak[peer] if peer else None)
    lines.append(_row("peak RSS MB", [f"{r.peak[n]:.0f}" for n in names], met))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    start = time.perf_counter()
    for line in run(args.rounds):
        print(line)
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
