"""Microservices exercise: the ratings service (stores star ratings, checks authors with the authors service). ASGI app: ratings.main:app."""

__version__ = "1.0.0"
