"""The real-browser fixtures live in tests/support/browsers.py, a plugin of the whole suite (the
security tests drive Chromium as the attacker, too)."""
