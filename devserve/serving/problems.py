"""What is wrong now: the config's last error and each origin's broken resource or routes
file, shown together (terminal, dashboard, page overlay) while the last good version serves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Problems:
    """One report of every standing problem, sent to ``show`` whenever one changes."""

    show: Callable[[str | None], None]
    config_error: str | None = None
    # (origin name, key of the file: "resources" or "resources_routes") -> the message
    resource_errors: dict[tuple[str, str], str] = field(default_factory=dict)

    def config_failed(self, message: str) -> None:
        self.config_error = message
        self._show()

    def config_applied(self, still_broken: Callable[[str, str], bool]) -> None:
        """A config applied: its error is gone, and rebuilt origins read their resource files
        afresh, so only the file errors ``still_broken(name, key)`` confirms stay."""
        self.config_error = None
        self.resource_errors = {
            where: error
            for where, error in self.resource_errors.items()
            if still_broken(*where)
        }
        self._show()

    def resources(self, name: str, key: str, error: str | None) -> None:
        """A resource or routes file became invalid (its last good version keeps serving) or
        valid again."""
        if error is None:
            self.resource_errors.pop((name, key), None)
        else:
            self.resource_errors[name, key] = f"origins.{name}.{key}: {error}"
        self._show()

    def _show(self) -> None:
        problems = [self.config_error, *self.resource_errors.values()]
        self.show("\n".join(problem for problem in problems if problem) or None)
