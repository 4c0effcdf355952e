"""ASGI entry point: `uvicorn backend.main:app`."""

import labkit

from .app import create_app
from .settings import Settings

app = labkit.app_from_env(Settings, create_app)
