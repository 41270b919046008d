"""Command line: ``python -m sim [scenario=NAME] [graph=NAME] [key=value ...]``.

Before Hydra starts (and creates a results directory) the overrides are
composed and validated once; under ``-m`` each sweep is checked with its
first value. A bad override, an unknown option or a bad graph file ends
with one line on stderr, exit status 2, and no results left behind.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim.config import ConfigError, register_configs
from sim.runner import compose_config as compose_overrides
from sim.runner import explain, simulate, summary_table, to_sim_config, write_results

HYDRA_FLAGS_WITHOUT_RUN = {
    "--help",
    "-h",
    "--hydra-help",
    "--version",
    "--cfg",
    "-c",
    "--info",
    "-i",
    "--shell-completion",
    "-sc",
}


def fail(message: str) -> None:
    """Print a one-line error and exit with status 2."""
    print(f"sim: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def first_of_each_sweep(overrides: list[str]) -> list[str]:
    """Replace every sweep override (``a=1,2``) by its first value, for validation."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    checked = []
    for text, override in zip(overrides, parsed, strict=True):
        if override.is_sweep_override():
            first = next(iter(override.sweep_string_iterator()))
            checked.append(f"{override.get_key_element()}={first}")
        else:
            checked.append(text)
    return checked


def preflight(argv: list[str]) -> None:
    """Compose and validate the run's config from the command line, or exit with one line."""
    overrides = [arg for arg in argv if not arg.startswith("-")]
    try:
        if "-m" in argv or "--multirun" in argv:
            overrides = first_of_each_sweep(overrides)
        config = to_sim_config(compose_overrides(overrides))
        if config.graph.kind == "edgelist" and not Path(str(config.graph.path)).is_file():
            raise ConfigError(f"graph.path: no such edge-list file: {config.graph.path}")
    except (HydraException, OmegaConfBaseException, ConfigError) as error:
        fail(explain(error))


def discard(out_dir: Path) -> None:
    """Remove what a failed run wrote into ``out_dir`` (never anything else)."""
    shutil.rmtree(out_dir / ".hydra", ignore_errors=True)
    for log in out_dir.glob("*.log"):
        log.unlink(missing_ok=True)
    for folder in (out_dir, *out_dir.parents):
        try:
            folder.rmdir()
        except OSError:
            break


@hydra.main(config_path="pkg://sim.scenarios", config_name="config", version_base="1.3")
def hydra_main(cfg: DictConfig) -> None:
    """Run one simulation into Hydra's output directory."""
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        result = simulate(to_sim_config(cfg))
        write_results(result, out_dir)
    except ConfigError as error:
        discard(out_dir)
        fail(str(error))
    except BaseException:
        discard(out_dir)
        raise
    print(summary_table(result.summary))
    print(f"results: {out_dir}")


def main() -> None:
    """Entry point of ``python -m sim`` and the ``sim`` console script."""
    register_configs()
    argv = sys.argv[1:]
    if not HYDRA_FLAGS_WITHOUT_RUN.intersection(argv):
        preflight(argv)
    hydra_main()


if __name__ == "__main__":
    main()
