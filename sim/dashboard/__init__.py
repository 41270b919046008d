"""The browser dashboard (Solara): policies side by side, a seller's circle, sweeps.

``serve`` is the ``sim app`` command, ``app`` the page, ``server`` the web server,
``assets`` the page's browser files; the constants below are shared by the
command and the page.
"""

SWEEPS_ENV = "SIM_APP_SWEEPS"  # the sweep folder the command hands to the page
DEFAULT_SWEEPS = "results/sweeps"
