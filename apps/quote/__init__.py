"""The lab's quote app: FastAPI + PostgreSQL. ASGI entry point: quote.main:app."""

__version__ = "1.0.0"
