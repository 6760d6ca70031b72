"""devserve inside a test suite: start a config in this event loop or in a background thread.

    config = devserve.config_from_toml('''
        [origins.api]
        port = 0            # 0: pick a free port
        cors = "on"
    ''')
    async with devserve.serve(config) as running:
        url = running.url("api")
        running.set_cors("api", enabled=False)
        assert not running.blocked()

``run_in_thread`` does the same for synchronous code (pytest, Playwright's sync API). Start-up
errors raise ``DevserveError`` with the messages the CLI prints.
"""

from __future__ import annotations

import asyncio
import json
import threading
import tomllib
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from devserve.config import Config
from devserve.errors import ConfigError, DevserveError
from devserve.project import load_project, parse_project
from devserve.records import RequestRecord, SocketRecord
from devserve.serving.runner import Runner, event_loop_factory

T = TypeVar("T")
# Enough for any test's assertions; a long-running embedded instance must not grow without end.
MAX_RECORDS = 10_000
_START_TIMEOUT_SECONDS = 30


def config_from_file(path: str | Path) -> Config:
    """Load ``devserve.toml`` (or a pyproject.toml with ``[tool.devserve]``) as ``run`` does."""
    return load_project(Path(path))


def config_from_dict(data: Mapping[str, Any], *, base: str | Path | None = None) -> Config:
    """A config from data shaped like the TOML file; relative paths resolve against ``base``."""
    folder = Path(base) if base is not None else Path.cwd()
    return parse_project(dict(data), path=folder / "devserve.toml", label="<dict>")


def config_from_toml(text: str, *, base: str | Path | None = None) -> Config:
    """A config from TOML text; relative paths resolve against ``base`` (default: the cwd)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"<toml text>: invalid TOML: {exc}; fix the syntax there"]) from None
    folder = Path(base) if base is not None else Path.cwd()
    return parse_project(data, path=folder / "devserve.toml", label="<toml text>")


class _Started:
    """What both ways of running share: URLs, CORS switches, the requests answered."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._records: deque[RequestRecord] = deque(maxlen=MAX_RECORDS)
        runner.registry.observers.append(self._records.append)
        self._socket_records: deque[SocketRecord] = deque(maxlen=MAX_RECORDS)
        runner.registry.socket_observers.append(self._socket_records.append)

    def url(self, name: str) -> str:
        """``http://127.0.0.1:PORT`` of origin ``name`` (the port it really got, for port 0)."""
        return self._runner.registry.origin_url(name)

    @property
    def names(self) -> list[str]:
        return list(self._runner.registry.served)

    def set_cors(self, name: str, *, enabled: bool) -> None:
        """Switch one origin's CORS; its very next response follows (``devserve cors NAME``)."""
        self._runner.registry.set_cors(name, enabled)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far (at most the last 10,000), with its CORS verdict."""
        return list(self._records)

    @property
    def socket_events(self) -> list[SocketRecord]:
        """What happened on the mock sockets: opened, each frame in and out, each close."""
        return list(self._socket_records)

    def send(self, name: str, path: str, message: Any) -> int:
        """Send ``message`` to every page connected to the mock socket at ``path`` of origin
        ``name`` (``devserve send``): text as it is, anything else as JSON. Returns how many
        pages got it; DevserveError when that origin has no socket there."""
        return int(self._runner.registry.send(name, path, _frame(message))["sent"])

    def blocked(self) -> list[RequestRecord]:
        """The requests a browser would not let the page read."""
        return [r for r in self._records if r.cors is not None and r.cors.verdict == "blocked"]

    def assert_no_blocked_requests(self) -> None:
        """Fail (AssertionError) listing every blocked request with its verdict."""
        blocked = self.blocked()
        if blocked:
            lines = "\n".join(f"  {record.line()}" for record in blocked)
            raise AssertionError(f"{len(blocked)} request(s) blocked by CORS:\n{lines}")

    def clear(self) -> None:
        """Forget the requests seen so far (e.g. between two tests sharing an instance)."""
        self._records.clear()
        self._socket_records.clear()


def _frame(message: Any) -> str:
    if isinstance(message, str):
        return message
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Running(_Started):
    """A config started by ``devserve.serve`` in the caller's event loop."""

    async def reset(self) -> None:
        """Restore mock state: response sequences restart, resources get their original data."""
        await self._runner.registry.reset()


async def _started(runner: Runner) -> asyncio.Task[None]:
    """Start ``runner`` in this loop; return its task once every origin listens, or raise the
    start-up error (a taken port, an invalid config) when it stops first."""
    task = asyncio.create_task(runner.serve(signals=False))
    ready = asyncio.create_task(runner.wait_ready())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # raises the start-up error
        raise DevserveError("devserve stopped during start-up")
    return task


# What serve() and run_in_thread() take: a Config, or what the config_from_* functions read
# (a dict shaped like the TOML file, a devserve.toml path, or TOML text).
ConfigSource = Config | Mapping[str, Any] | str | Path


def as_config(source: ConfigSource, *, base: str | Path | None = None) -> Config:
    """``source`` as a Config; relative paths of a dict or TOML text resolve against ``base``."""
    if isinstance(source, Config):
        return source
    if isinstance(source, Mapping):
        return config_from_dict(source, base=base)
    if isinstance(source, Path) or ("\n" not in source and source.endswith(".toml")):
        return config_from_file(source)
    return config_from_toml(source, base=base)


def _runner(
    source: ConfigSource, host: str | None, on_banner: Callable[[str], None] | None
) -> Runner:
    """No file watching and no signal handlers: the caller owns the loop and the process.

    No dashboard either, unless the config sets ``dashboard_port`` itself: test suites start
    many instances, often at once, and the default port 8999 can serve only one of them."""
    config = as_config(source)
    settings = config.devserve
    if "dashboard_port" not in settings.model_fields_set:
        quiet = settings.model_copy(update={"dashboard_port": False})
        config = config.model_copy(update={"devserve": quiet})
    runner = Runner(config, host=host or settings.host, watch=False, on_banner=on_banner)
    runner.registry.embedded = True  # its advice names running.set_cors, not the CLI
    return runner


@asynccontextmanager
async def serve(
    config: ConfigSource, *, host: str | None = None, echo: Callable[[str], None] | None = None
) -> AsyncIterator[Running]:
    """Serve ``config`` in the running event loop until the block ends.

    No file watching, no signal handlers (the caller owns the loop), no banner unless ``echo``.
    """
    runner = _runner(config, host, echo)
    running = Running(runner)
    task = await _started(runner)
    try:
        yield running
    finally:
        runner.stop()
        await task


class RunningInThread(_Started):
    """A config started by ``devserve.run_in_thread``: calls hop onto its thread's loop."""

    def __init__(self, runner: Runner, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(runner)
        self._loop = loop

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def set_cors(self, name: str, *, enabled: bool) -> None:
        async def switch() -> None:
            self._runner.registry.set_cors(name, enabled)

        self._call(switch())

    def reset(self) -> None:
        """Restore mock state: response sequences restart, resources get their original data."""
        self._call(self._runner.registry.reset())

    def send(self, name: str, path: str, message: Any) -> int:
        registry, text = self._runner.registry, _frame(message)

        async def broadcast() -> int:
            return int(registry.send(name, path, text)["sent"])

        return self._call(broadcast())


@contextmanager
def run_in_thread(
    config: ConfigSource, *, host: str | None = None
) -> Iterator[RunningInThread]:
    """Serve ``config`` from a background thread (its own event loop) until the block ends."""
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        runner = _runner(config, host, None)
        holder["running"] = RunningInThread(runner, asyncio.get_running_loop())
        holder["runner"] = runner
        try:
            task = await _started(runner)
        except BaseException as exc:  # it could not start: the error is the caller's to raise
            holder["error"] = exc
            return
        finally:
            started.set()
        await task

    def target() -> None:
        try:
            with asyncio.Runner(loop_factory=event_loop_factory()) as loop:
                loop.run(main())
        except BaseException as exc:  # handed to the caller's thread
            holder.setdefault("error", exc)
        finally:
            started.set()

    thread = threading.Thread(target=target, name="devserve", daemon=True)
    thread.start()
    if not started.wait(_START_TIMEOUT_SECONDS):
        raise DevserveError(f"devserve did not start within {_START_TIMEOUT_SECONDS} s")
    if "error" in holder:
        thread.join()
        error = holder["error"]
        raise error if isinstance(error, DevserveError) else DevserveError(str(error)) from error
    running: RunningInThread = holder["running"]
    try:
        yield running
    finally:
        running._loop.call_soon_threadsafe(holder["runner"].stop)
        thread.join(timeout=10)
