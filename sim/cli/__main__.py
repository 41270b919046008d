"""``python -m sim.cli``: the same as ``python -m sim`` (``sim.__main__``)."""

from sim.__main__ import main

if __name__ == "__main__":
    main()
