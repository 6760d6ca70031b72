"""Mocks from an OpenAPI description: answers, request validation, contract checks."""
