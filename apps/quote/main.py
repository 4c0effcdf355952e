"""ASGI entry point: `uvicorn quote.main:app`.

Settings are read at import, before uvicorn logs anything, so a missing variable
ends the process with exactly one line naming it.
"""

import labkit

from .app import create_app
from .settings import Settings

settings = labkit.load_or_exit(Settings.from_env, "quote")
labkit.configure_logging("quote")
app = create_app(settings)
