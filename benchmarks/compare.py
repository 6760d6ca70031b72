"""devserve side by side with a bare Starlette app and the peer tools, in one run, as ratios.

Run from the repository root: ``python benchmarks/compare.py [--seconds 4] [--connections 32]``.
Needs ``wrk`` (``apt-get install wrk``); the Node peers (http-server 14, json-server 0.17.4)
are found where ``.ci/run`` installs them (``$DEVSERVE_PEERS``, default
``~/.cache/devserve-peers``) and skipped with a note when absent; the page-load line needs
Chromium at /usr/bin/chromium. Only 127.0.0.1 is ever contacted.

Lines (each server in its own process, uvicorn with uvloop + httptools where Python):
  static 10 KiB       devserve (cors = "on", Origin sent)  vs the raw ASGI ceiling, Starlette
                      StaticFiles, http-server 14, Vite 7's dev server
  mock JSON route     devserve route                      vs the raw ASGI ceiling, a bare
                                                             Starlette route + CORSMiddleware
  (the raw ASGI ceiling, benchmarks/ceiling.py: the same bytes and a CORS header, nothing else)
  resources           devserve resources                   vs json-server 0.17.4 (list, filtered)
  300-module page     time to `load` in headless Chromium: devserve vs http-server
  start-up            command -> four origins answering; RSS of that process
  1,000 connections   for 10 s against devserve static: errors must be 0
  scaling             the same request on a small and a large project, side by side: 1 and 20
                      origins, 5 and 2,000 routes, 10 and 20,000 mock-folder files; start-up
                      with 20 origins; idle CPU watching 50,000 files (benchmarks/scaling.py)
  resources at scale  100,000 posts and 50,000 comments, devserve vs json-server 0.17.4
                      (benchmarks/resources_scale.py: writes, reads, a GET on another origin
                      during a write burst, RSS)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import scaling  # noqa: E402  (this folder, beside this file)
from harness import (  # noqa: E402
    PEERS,
    Load,
    best_of,
    free_port,
    process,
    wrk,
)

FILTER = "/posts?author=a3&_sort=views&_order=desc"
MODULES = 300

BARE_APP = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

PAYLOAD = {payload}

async def data(request):
    return JSONResponse(PAYLOAD)

app = Starlette(
    routes=[Route("/data", data), Mount("/", StaticFiles(directory=sys.argv[2]))],
    middleware=[Middleware(CORSMiddleware, allow_origins=["*"])],
)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            loop="uvloop", http="httptools", access_log=False)
"""

PAYLOAD = {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "roles": ["admin", "dev"]}


def project(root: Path, ports: dict[str, int], *, resources: bool = True) -> Path:
    """A devserve project: a static site, a mock route, resources, an ES-module app."""
    root.mkdir(exist_ok=True)
    web = root / "web"
    (web / "mods").mkdir(parents=True)
    (web / "file.txt").write_bytes(b"x" * 10 * 1024)
    imports = "\n".join(f'import "./mods/m{i}.js";' for i in range(MODULES))
    (web / "mods" / "main.js").write_text(imports.replace("./mods/", "./"))
    for i in range(MODULES):
        (web / "mods" / f"m{i}.js").write_text(f"export const v{i} = {i};\n" + "// pad\n" * 40)
    (web / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/mods/main.js"></script>'
        "</head><body>modules</body></html>"
    )
    posts = [
        {"id": i, "title": f"post {i}", "author": f"a{i % 7}", "views": i * 3}
        for i in range(1, 501)
    ]
    (root / "db.json").write_text(json.dumps({"posts": posts, "profile": {"name": "x"}}))
    config = f"""
[devserve]
dashboard_port = {ports["dashboard"]}
live_reload = false

[origins.web]
port = {ports["web"]}
static = "web"
cors = "on"

[origins.api]
port = {ports["api"]}
cors = "on"

[[origins.api.routes]]
path = "/data"
json = {{ id = 1, name = "Ada Lovelace", email = "ada@example.com", roles = ["admin", "dev"] }}

[origins.db]
port = {ports["db"]}
cors = "on"
{'resources = "db.json"' if resources else ""}

[origins.spare]
port = {ports["spare"]}
static = "web"
"""
    (root / "devserve.toml").write_text(config)
    return root / "devserve.toml"


def rss_mb(pid: int) -> float:
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total = int(line.split()[1])
    return total / 1024


def page_load_ms(urls: list[str], runs: int) -> list[float]:
    """Median time to the `load` event of each of ``urls``, each load in a fresh headless
    Chromium context. The URLs take turns (A B A B ...), like the wrk runs: the browser
    shares the two cores with the servers, and a burst elsewhere then hurts both alike."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests.support.browsers import CHROMIUM_ARGS, chromium_path

    times: dict[str, list[float]] = {url: [] for url in urls}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        for _ in range(runs + 1):  # the first round warms the servers' caches, not counted
            for url in urls:
                context = browser.new_context()
                page = context.new_page()
                page.goto(url, wait_until="load")
                times[url].append(
                    page.evaluate("performance.getEntriesByType('navigation')[0].loadEventStart")
                )
                context.close()
        browser.close()
    return [statistics.median(times[url][1:]) for url in urls]


def row(name: str, load: Load | None, note: str = "") -> str:
    if load is None:
        return f"| {name} | skipped | | | {note} |"
    return f"| {name} | {load.rps:,.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f} | {note} |"


def ratio(a: Load | None, b: Load | None) -> str:
    return f"{a.rps / b.rps:.2f}x" if a and b else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs; best kept")
    parser.add_argument("--page-loads", type=int, default=9)
    parser.add_argument(
        "--no-scaling", dest="scaling", action="store_false", help="skip the scaling lines"
    )
    parser.add_argument(
        "--scale-rounds", type=int, default=8, help="resources at scale (0: skip that part)"
    )
    args = parser.parse_args()
    load = os.getloadavg()
    extra: dict[str, float] = {}
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    node = shutil.which("node") or "node"
    http_server = PEERS / "node_modules" / "http-server" / "bin" / "http-server"
    json_server = PEERS / "node_modules" / "json-server" / "lib" / "cli" / "bin.js"
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        root = Path(tmp)
        ports = {name: free_port() for name in ("web", "api", "db", "spare", "dashboard")}
        config = project(root, ports)
        check = [sys.executable, "-m", "devserve", "check-config", "-c", str(config)]
        if subprocess.run(check, capture_output=True).returncode != 0:
            notes.append("devserve resources: not supported by this build, line skipped")
            config = project(root / "nores", ports, resources=False)
        start = time.perf_counter()
        command = [sys.executable, "-m", "devserve", "-q", "run", "--no-reload", "-c", str(config)]
        devserve = servers.enter_context(
            process(command, [ports[n] for n in ("web", "api", "db", "spare")], root)
        )
        startup = time.perf_counter() - start
        memory = rss_mb(devserve.pid)
        url = "http://127.0.0.1:{}".format
        targets = {
            "devserve static": url(ports["web"]) + "/file.txt",
            "devserve route": url(ports["api"]) + "/data",
        }
        if not notes:
            targets["devserve resources list"] = url(ports["db"]) + "/posts?_page=1&_limit=10"
            targets["devserve resources filter"] = url(ports["db"]) + FILTER
        bare = free_port()
        (root / "bare.py").write_text(BARE_APP.format(payload=repr(PAYLOAD)))
        servers.enter_context(
            process(
                [sys.executable, str(root / "bare.py"), str(bare), str(root / "web")], [bare], root
            )
        )
        targets["starlette static"] = url(bare) + "/file.txt"
        targets["starlette route"] = url(bare) + "/data"
        peer_page_url = None
        if http_server.is_file() and shutil.which(node):
            port = free_port()
            web = str(root / "web")
            hs = [
                node,
                str(http_server),
                web,
                "-p",
                str(port),
                "-a",
                "127.0.0.1",
                "--cors",
                "-s",
                "-c-1",
            ]
            servers.enter_context(process(hs, [port], root))
            targets["http-server static"] = url(port) + "/file.txt"
            peer_page_url = url(port) + "/"
        else:
            notes.append(
                f"http-server: not installed (npm install --prefix {PEERS} http-server@14)"
            )
        if json_server.is_file() and shutil.which(node):
            port = free_port()
            shutil.copy(root / "db.json", root / "db-js.json")
            js = [node, str(json_server), "--port", str(port), "--host", "127.0.0.1", "--quiet"]
            servers.enter_context(process([*js, str(root / "db-js.json")], [port], root))
            targets["json-server list"] = url(port) + "/posts?_page=1&_limit=10"
            targets["json-server filter"] = url(port) + FILTER
        else:
            notes.append(
                f"json-server: not installed (npm install --prefix {PEERS} json-server@0.17.4)"
            )
        start_ceiling_and_vite(root, servers, targets, notes)
        pairs: list[scaling.Pair] = []
        if args.scaling:
            pairs, extra["startup 20 origins"] = scaling.start(root / "scaling", servers)
        results: dict[str, Load | None] = dict(
            best_of(args.rounds, targets, seconds=args.seconds, connections=args.connections)
        )
        scaling.measure(
            pairs, rounds=args.rounds, seconds=args.seconds, connections=args.connections
        )
        pages = [url(ports["web"]) + "/", *([peer_page_url] if peer_page_url else [])]
        loads = page_load_ms(pages, args.page_loads)
        devserve_page, peer_page = loads[0], (loads[1] if peer_page_url else None)
        # 1,000 connections on 2 cores queue for ~150 ms each: wrk's 2 s timeout would count
        # the slowest as failures; the target is no error (refused, reset, non-2xx) at all.
        results["devserve 1000 conns"] = wrk(
            url(ports["web"]) + "/file.txt", seconds=10, connections=1000, timeout=10
        )
        if args.scaling:
            extra["idle watch cpu"] = scaling.idle_watch_cpu(root / "scaling")
    report(args, results, devserve_page, peer_page, startup, memory, notes)
    report_scaling(pairs, extra, load)
    if args.scale_rounds:
        from resources_scale import run as resources_at_scale  # this folder, beside this file

        print()
        for line in resources_at_scale(args.scale_rounds):
            print(line)
    return 0


def start_ceiling_and_vite(
    root: Path, servers: contextlib.ExitStack, targets: dict[str, str], notes: list[str]
) -> None:
    """The raw ASGI ceiling (same bytes, a CORS header, nothing else) and Vite's dev server."""
    url = "http://127.0.0.1:{}".format
    port = free_port()
    ceiling = [sys.executable, str(ROOT / "benchmarks" / "ceiling.py"), str(port)]
    servers.enter_context(process([*ceiling, str(root / "web" / "file.txt")], [port], root))
    targets["raw static"] = url(port) + "/file.txt"
    targets["raw route"] = url(port) + "/data"
    vite = PEERS / "node_modules" / "vite" / "bin" / "vite.js"
    node = shutil.which("node")
    if not vite.is_file() or node is None:
        notes.append(f"Vite: not installed (npm install --prefix {PEERS} vite@7)")
        return
    port = free_port()
    command = [node, str(vite), str(root / "web"), "--port", str(port), "--host", "127.0.0.1"]
    command += ["--strictPort", "--logLevel", "silent", "--clearScreen", "false"]
    servers.enter_context(process(command, [port], root))
    targets["vite static"] = url(port) + "/file.txt"


def report_scaling(
    pairs: list[scaling.Pair],
    extra: dict[str, float],
    load: tuple[float, ...],
) -> None:
    """The costs that must stay flat, and the machine's load before and after the run."""
    if pairs:
        print()
        print(
            "| request cost as the project grows | small: req/s, CPU µs/request | "
            "large: req/s, CPU µs/request | large/small CPU |"
        )
        print("|---|---|---|---|")
        for pair in pairs:
            (small_rps, large_rps), (small_us, large_us) = pair.rps, pair.cpu_us
            print(
                f"| {pair.what}: {pair.small:,} -> {pair.large:,} | {small_rps:,.0f}, "
                f"{small_us:.0f} | {large_rps:,.0f}, {large_us:.0f} | {pair.ratio:.2f} "
                "(target <= 1.10) |"
            )
        print()
        print(f"start-up, command to 20 origins answering: {extra['startup 20 origins']:.2f} s")
        print(
            f"idle CPU watching {scaling.WATCHED:,} files: {extra['idle watch cpu']:.2f} % of a "
            "core (target < 1 %)"
        )
    after = os.getloadavg()
    print(
        f"load average before: {' '.join(f'{n:.2f}' for n in load)}; "
        f"after: {' '.join(f'{n:.2f}' for n in after)}"
    )


def report(
    args: argparse.Namespace,
    results: dict[str, Load | None],
    devserve_page: float,
    peer_page: float | None,
    startup: float,
    memory: float,
    notes: list[str],
) -> None:
    r = results.get
    print(
        f"wrk -t1 -c{args.connections} -d{args.seconds:g}s, best of {args.rounds} interleaved "
        f"runs, 127.0.0.1; {os.cpu_count()} cores"
    )
    print()
    print("| what | req/s | p50 ms | p99 ms | ratio |")
    print("|---|---|---|---|---|")
    static = r("devserve static")
    print(
        row(
            "devserve static 10 KiB (cors on, Origin sent)",
            static,
            f"{ratio(static, r('raw static'))} raw ASGI (>= 0.80), "
            f"{ratio(static, r('http-server static'))} http-server (>= 2.5), "
            f"{ratio(static, r('vite static'))} Vite (>= 3), "
            f"{ratio(static, r('starlette static'))} StaticFiles (>= 8)",
        )
    )
    print(row("raw ASGI app, the same 10 KiB + a CORS header", r("raw static")))
    print(row("Starlette StaticFiles 10 KiB", r("starlette static")))
    print(row("http-server 14 --cors, 10 KiB", r("http-server static")))
    print(row("Vite 7 dev server, 10 KiB", r("vite static")))
    print(
        row(
            "devserve mock route (JSON)",
            r("devserve route"),
            f"{ratio(r('devserve route'), r('raw route'))} raw ASGI (>= 0.85), "
            f"{ratio(r('devserve route'), r('starlette route'))} the bare route",
        )
    )
    print(row("raw ASGI app, the same JSON + a CORS header", r("raw route")))
    print(row("bare Starlette route + CORSMiddleware", r("starlette route")))
    print(
        row(
            "devserve resources ?_page=1&_limit=10",
            r("devserve resources list"),
            f"{ratio(r('devserve resources list'), r('json-server list'))} json-server",
        )
    )
    print(row("json-server 0.17.4 ?_page=1&_limit=10", r("json-server list")))
    print(
        row(
            "devserve resources filter + sort",
            r("devserve resources filter"),
            f"{ratio(r('devserve resources filter'), r('json-server filter'))} json-server",
        )
    )
    print(row("json-server 0.17.4 filter + sort", r("json-server filter")))
    conns = r("devserve 1000 conns")
    print(
        row(
            "devserve static, 1,000 connections for 10 s",
            conns,
            f"errors: {conns.errors}, over 10 s: {conns.timeouts}" if conns else "n/a",
        )
    )
    print()
    peer = f"{peer_page:.0f} ms" if peer_page is not None else "skipped"
    print(
        f"{MODULES}-module page, time to load: devserve {devserve_page:.0f} ms, http-server {peer}"
    )
    print(f"start-up, command to four origins answering: {startup:.2f} s; RSS {memory:.0f} MB")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    raise SystemExit(main())
