"""The multi-tier exercise's backend: a REST catalogue of items on PostgreSQL. ASGI app: backend.main:app."""

__version__ = "1.0.0"
