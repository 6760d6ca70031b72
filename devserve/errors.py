"""The one exception family library code raises; only devserve/cli/ turns it into output."""

from __future__ import annotations


class DevserveError(Exception):
    """A user-facing error: the message names what is wrong and how to fix it."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(DevserveError):
    """The config is invalid; ``problems`` lists every error, one line each."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class PortInUseError(DevserveError):
    """A port an origin (or the dashboard) needs cannot be bound."""

    exit_code = 3

    def __init__(
        self, name: str, host: str, port: int, reason: str, advice: str | None = None
    ) -> None:
        self.problem = (
            f"cannot start origin '{name}': port {port} on {host} is not available ({reason})."
        )
        self.advice = advice or f"Stop whatever is using it or pick another port for '{name}'."
        super().__init__(f"{self.problem} {self.advice}")
        self.name = name
        self.host = host
        self.port = port
        self.reason = reason

    def advised(self, advice: str) -> PortInUseError:
        """The same error with advice that fits the command used (``serve -p``, ``demo --port``)."""
        return PortInUseError(self.name, self.host, self.port, self.reason, advice)


class UnknownOriginError(DevserveError):
    """A command or API call names an origin the running instance does not have."""

    def __init__(self, name: str, names: list[str]) -> None:
        super().__init__(f"no origin named {name!r}; the origins are: {', '.join(names)}")
        self.name = name
