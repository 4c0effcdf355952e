"""Microservices exercise: the public API gateway in front of the authors and ratings services. ASGI app: gateway.main:app."""

__version__ = "1.0.0"
