"""Proxy an origin to a real API: forward, rewrite for localhost, record and replay."""
