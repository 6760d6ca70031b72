"""Live reload: the file watcher, server-sent event streams, and the script injected into pages."""
