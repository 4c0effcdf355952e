"""ASGI entry point: `uvicorn frontend.main:app`. Settings are read at import, so a
missing variable ends the process with one line naming it."""

import labkit

from .app import create_app
from .settings import Settings

settings = labkit.load_or_exit(Settings.from_env, "frontend")
labkit.configure_logging("frontend")
app = create_app(settings)
