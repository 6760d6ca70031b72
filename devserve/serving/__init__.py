"""Serving: process lifecycle (runner), one origin's app (origin), static files,
the Host guard, binding, and the request log."""
