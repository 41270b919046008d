"""``python -m sim`` and the ``sim`` console script: see :mod:`sim.cli`.

Signals are taken over before anything else is imported (``sim.run.signals``):
start-up imports take seconds, and a Ctrl-C or SIGTERM in them must end the
run the same documented way as one that lands mid-run.
"""

from __future__ import annotations

from sim.run import signals


def main() -> None:
    """Entry point: take over SIGINT and SIGTERM, then run the command line."""
    signals.install()
    from sim.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
