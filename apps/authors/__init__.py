"""Microservices exercise: the authors service (read-only catalogue, API-key protected). ASGI app: authors.main:app."""

__version__ = "1.0.0"
