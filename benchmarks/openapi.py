"""OpenAPI: start-up with a 5 MB spec, and the time request validation adds per request.

Run from the repository root: ``python benchmarks/openapi.py [--megabytes 5] [--requests 2000]``.

* Start-up: a JSON spec of about 5 MB is made from the stored ReadMe API spec (its paths copied
  under /v1, /v2, ... until the size is reached), and the same spec dumped as YAML (block style,
  a little larger). ``devserve run`` starts on each, and the time from the process start until
  the origin answers is compared with the same config without the spec (the rest of
  start-up). The YAML one twice: first with an empty data folder (parsed), then again (its
  value read from the cache of parsed specs). Target: under 1.5 s in all, for either.
* Validation: ``check_request`` on a valid JSON POST of the small payments spec of the tests and
  of an operation of the large spec, after a warm-up; p50 and p95 in microseconds. Target:
  p50 under 1 ms.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devserve.home import DATA_DIR_VARIABLE  # noqa: E402
from devserve.mocks.openapi.operations import router_of  # noqa: E402
from devserve.mocks.openapi.schemas import validators_of  # noqa: E402
from devserve.mocks.openapi.spec import load_spec  # noqa: E402
from devserve.mocks.openapi.validate import RequestData, check_request  # noqa: E402
from tests.mocks.openapi.conftest import PAYMENTS, SCHEMAS, SPECS  # noqa: E402
from tests.support.process import free_ports  # noqa: E402

START_TARGET_S = 1.5
VALIDATION_TARGET_US = 1000.0


def big_spec(folder: Path, megabytes: float) -> Path:
    """A valid JSON spec of about ``megabytes`` MB: the ReadMe API's paths, copied."""
    base = json.loads((SPECS / "readme.json").read_text())
    paths: dict[str, object] = {}
    spec = dict(base, paths=paths)
    copy_number = 0
    while len(json.dumps(spec, indent=1)) < megabytes * 1_000_000:
        copy_number += 1
        for template, item in base["paths"].items():
            renamed = copy.deepcopy(item)
            for operation in renamed.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    operation["operationId"] += f"-v{copy_number}"
            paths[f"/v{copy_number}{template}"] = renamed
    target = folder / "big.json"
    target.write_text(json.dumps(spec, indent=1))
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    (folder / "big.yaml").write_text(yaml.dump(spec, Dumper=dumper, sort_keys=False))
    return target


def start_time(folder: Path, spec: str | None, *, cold: bool = False) -> float:
    """Seconds from ``devserve run`` to its origin's first answer (``spec``: a file name).
    ``cold``: with an empty data folder, so a YAML spec is parsed rather than read from the
    cache of parsed specs."""
    data = folder / "data"
    if cold:
        shutil.rmtree(data, ignore_errors=True)
    (port,) = free_ports(1)
    spec_line = f'openapi = "{spec}"\n' if spec else ""
    config = folder / f"with-{spec}.toml" if spec else folder / "without.toml"
    config.write_text(
        f"[devserve]\ndashboard_port = false\n[origins.api]\nport = {port}\n{spec_line}"
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "devserve", "--no-reload", "-q", "run", "-c", str(config)],
        cwd=folder,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", DATA_DIR_VARIABLE: str(data)},
        stdout=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 30:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/apply", timeout=1).read()
                return time.perf_counter() - started
            except urllib.error.HTTPError:  # a 404 without the spec: an answer all the same
                return time.perf_counter() - started
            except OSError:
                time.sleep(0.01)
        raise SystemExit("devserve did not answer within 30 s")
    finally:
        process.terminate()
        process.wait(10)


def validation_times(spec_path: Path, method: str, path: str, body: object, n: int) -> list[float]:
    spec = load_spec(spec_path)
    found = router_of(spec).match(method, path)
    assert found is not None, path
    operation, params = found
    raw = json.dumps(body).encode()

    def once() -> float:
        request = RequestData(
            method, params, [], {"content-type": "application/json"}, {}, "application/json", raw
        )
        began = time.perf_counter()
        failures = check_request(operation, request, spec.documents, validators_of(spec))
        elapsed = time.perf_counter() - began
        assert not failures, failures
        return elapsed * 1e6

    for _ in range(50):
        once()
    return [once() for _ in range(n)]


def report(label: str, times: list[float]) -> float:
    times.sort()
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95)]
    print(f"  {label}: p50 {p50:.0f} us, p95 {p95:.0f} us")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        spec = big_spec(folder, args.megabytes)
        paths = len(json.loads(spec.read_text())["paths"])
        os.environ[DATA_DIR_VARIABLE] = str(folder / "data")  # the cache of parsed specs: empty
        for name in ("big.json", "big.yaml"):
            began = time.perf_counter()
            load_spec(folder / name)
            print(
                f"{name}: {(folder / name).stat().st_size / 1e6:.1f} MB, {paths} paths; "
                f"read and checked in {time.perf_counter() - began:.2f} s (in process)"
            )
        # Taken in turns, so a busy moment of the machine weighs on all alike.
        runs = [
            (
                start_time(folder, "big.json"),
                start_time(folder, "big.yaml", cold=True),
                start_time(folder, "big.yaml"),
                start_time(folder, None),
            )
            for _ in range(args.starts)
        ]
        labels = ("JSON", "YAML, first start", "YAML, again", "without")
        for index, label in enumerate(labels):
            print(f"  {label}: " + ", ".join(f"{run[index]:.2f} s" for run in runs))
        json_start, yaml_cold, yaml_start, without = (
            statistics.median(run[i] for run in runs) for i in range(4)
        )
        print(
            f"start-up to the first answer (median of {args.starts}): {json_start:.2f} s with the "
            f"JSON spec; with the YAML one {yaml_cold:.2f} s the first time (parsed), "
            f"{yaml_start:.2f} s after (from the cache); {without:.2f} s without "
            f"(target: under {START_TARGET_S} s)"
        )
        (folder / "payments.yaml").write_text(PAYMENTS)
        (folder / "schemas.yaml").write_text(SCHEMAS)
        print(f"request validation, {args.requests} requests each:")
        small = report(
            "POST /charges (payments)",
            validation_times(
                folder / "payments.yaml",
                "POST",
                "/charges",
                {"amount": 500, "currency": "usd", "description": "tea"},
                args.requests,
            ),
        )
        large = report(
            "POST /projects/{subdomain}/apikeys (5 MB spec)",
            validation_times(
                spec, "POST", "/v3/projects/demo/apikeys", {"label": "ci"}, args.requests
            ),
        )
        slowest = max(json_start, yaml_cold, yaml_start)
        ok = slowest < START_TARGET_S and max(small, large) < VALIDATION_TARGET_US
        print("all targets met" if ok else "a target was missed")


if __name__ == "__main__":
    main()
