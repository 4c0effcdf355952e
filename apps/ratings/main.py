"""ASGI entry point: `uvicorn ratings.main:app`."""

import labkit

from .app import create_app
from .settings import Settings

settings = labkit.load_or_exit(Settings.from_env, "ratings")
labkit.configure_logging("ratings")
app = create_app(settings)
