"""The resource-limits exercise's memory-bound app (numpy + pandas). ASGI app: analytics.main:app."""

__version__ = "1.0.0"
