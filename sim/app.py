"""The dashboard: ``python -m sim.app`` is ``sim app``; ``solara run sim/app.py`` serves it.

``solara run`` executes this file as ``__main__`` as Mesa's examples expect, with
its server already loaded: then this module is the page (``Page``, from
``sim.dashboard.app``) and no command runs. Run as ``python -m sim.app`` (or
``python sim/app.py``) it is the ``sim app`` command, which also serves the
browser files offline (``sim.dashboard.assets``); ``solara run`` leaves those to
Solara's CDN.
"""

import sys

from sim.cli import entry

UNDER_SOLARA = "solara.server.app" in sys.modules  # loaded only by Solara's server

if UNDER_SOLARA:
    from sim.dashboard.app import Page  # noqa: F401 (the page ``solara run`` serves)
elif __name__ == "__main__":
    entry("app")
