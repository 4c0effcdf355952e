"""The multi-tier exercise's frontend: HTML pages from the backend's REST API. ASGI app: frontend.main:app."""

__version__ = "1.0.0"
