"""WebSocket mocks: ``[[origins.NAME.sockets]]`` entries and ``NAME.WS.mock.json`` files (their
scripts, their connections, recorded conversations played back)."""
