"""ASGI entry point: `uvicorn gateway.main:app`."""

import labkit

from .app import create_app
from .settings import Settings

app = labkit.app_from_env(Settings, create_app)
