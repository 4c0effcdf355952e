"""ASGI entry point: `uvicorn backend.main:app`. Settings are read at import, so a
missing variable ends the process with one line naming it."""

import labkit

from .app import create_app
from .settings import Settings

settings = labkit.load_or_exit(Settings.from_env, "backend")
labkit.configure_logging("backend")
app = create_app(settings)
