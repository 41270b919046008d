"""Put the browser files Solara loads from its CDN into Solara's asset cache, via npm.

Solara's server proxies a public CDN for its front end (the Vuetify app,
RequireJS, Font Awesome) and caches what it fetched. Where that CDN cannot be
reached (CI, an offline machine) the page stays blank; this script fills the
cache from the npm registry instead, with the exact versions Solara's page
template asks for. Run it with the project's Python: `uv run python .ci/solara_assets.py`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import solara.server.settings as settings

SOLARA = Path(settings.__file__).parents[1]
# The page template, and the components the dashboard uses that load from the CDN.
SOURCES = (
    SOLARA / "server" / "templates" / "solara.html.j2",
    SOLARA / "components" / "markdown.py",
)


def packages() -> list[str]:
    """Return the ``name@version`` specs the page and its components load from the CDN."""
    text = "".join(source.read_text() for source in SOURCES) + settings.assets.fontawesome_path
    return sorted(set(re.findall(r"/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/", text)))


def install(spec: str, cache: Path) -> None:
    """Unpack npm package ``spec`` into ``cache/spec`` (as the CDN lays it out)."""
    target = cache / spec
    if target.is_dir() and any(target.iterdir()):
        print(f"solara assets: have {spec}")
        return
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            ["npm", "pack", "--silent", spec], cwd=scratch, check=True, stdout=subprocess.DEVNULL
        )
        (tarball,) = Path(scratch).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extractall(scratch, filter="data")
        if target.is_dir():
            target.rmdir()  # empty: left by an interrupted run
        target.parent.mkdir(parents=True, exist_ok=True)
        (Path(scratch) / "package").rename(target)
    print(f"solara assets: installed {spec} in {target}")


def main() -> None:
    """Fill Solara's asset cache with every package its page template needs."""
    cache = settings.assets.proxy_cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    specs = packages()
    if not specs:
        sys.exit("solara assets: error: found no CDN package in Solara's sources")
    for spec in specs:
        install(spec, cache)


if __name__ == "__main__":
    main()
