"""A devserve with every kind of origin per module (tests/support/everykind.py)."""

from tests.support.everykind import fortress, http

__all__ = ["fortress", "http"]
