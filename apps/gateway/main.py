"""ASGI entry point: `uvicorn gateway.main:app`."""

import labkit

from .app import create_app
from .settings import Settings

settings = labkit.load_or_exit(Settings.from_env, "gateway")
labkit.configure_logging("gateway")
app = create_app(settings)
