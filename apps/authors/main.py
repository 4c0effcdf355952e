"""ASGI entry point: `uvicorn authors.main:app`."""

import labkit

from .app import create_app
from .settings import Settings

settings = labkit.load_or_exit(Settings.from_env, "authors")
labkit.configure_logging("authors")
app = create_app(settings)
