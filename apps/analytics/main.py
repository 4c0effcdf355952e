"""ASGI entry point: `uvicorn analytics.main:app`. Settings are read at import, so a
bad variable ends the process with one line naming it."""

import labkit

from .app import create_app
from .settings import Settings

settings = labkit.load_or_exit(Settings.from_env, "analytics")
labkit.configure_logging("analytics")
app = create_app(settings)
