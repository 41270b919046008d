"""SLURM launcher for sweeps: array tasks of several runs, resume, lost-task detection.

``hydra/launcher=slurm`` (``scenarios/hydra/launcher/slurm.yaml``) uses this
subclass of Hydra's submitit SLURM launcher. On top of it:

- **Resume before submitting**: the sweeper leaves finished runs out of the
  batch (``sim.run.sweep.unfinished_batches``) and the launcher checks again, so
  re-running a sweep queues only what is missing.
- **Several runs per array task** (``hydra.launcher.jobs_per_task=K``): a
  one-year run of the default graph lasts seconds, while a task pays Python
  start-up and queue wait; grouping K runs per task divides that overhead by K.
  The runs of a task run one after another; a failed run is recorded and the
  next one still runs.
- **Tasks SLURM has lost**: a task cancelled while pending, or killed with its
  node, may never get an accounting record, and submitit would wait for ever.
  Each task is polled (``squeue``; submitit's ``sacct`` state) and one that is
  neither queued nor running for ``lost_after_s`` seconds without a result is
  reported on stderr and given up; its runs have no ``summary.json``, so the
  sweep ends with one line naming them and a non-zero exit (``sim.cli.run``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import (
    SlurmLauncher as SubmititSlurmLauncher,
)

from sim.run.sweep import is_complete, override_dirname

FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "DEADLINE"}
"""SLURM states after which a task will never write a result."""


class RunGroup:
    """One array task's runs: calls the launcher's per-run function for each in turn."""

    def __init__(self, launcher: SubmititSlurmLauncher) -> None:
        """Wrap ``launcher`` (pickled with the task, as submitit does for one run)."""
        self.launcher = launcher

    def __call__(self, runs: list[tuple[Any, ...]]) -> list[JobReturn]:
        """Run each ``(overrides, dir_key, index, job_id, singleton_state)`` in order."""
        return [self.launcher(*run) for run in runs]


class SlurmLauncher(SubmititSlurmLauncher):
    """Hydra's submitit SLURM launcher with grouping, resume and lost-task detection."""

    def __init__(
        self,
        jobs_per_task: int = 1,
        poll_s: float = 5.0,
        lost_after_s: float = 60.0,
        **params: Any,
    ) -> None:
        """Take this launcher's own keys; the rest go to submitit as before."""
        super().__init__(**params)
        if int(jobs_per_task) < 1:
            raise ValueError(f"hydra.launcher.jobs_per_task must be >= 1, got {jobs_per_task}")
        self.jobs_per_task = int(jobs_per_task)
        self.poll_s = float(poll_s)
        self.lost_after_s = float(lost_after_s)

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """Submit the unfinished runs, ``jobs_per_task`` per array task, and wait for them."""
        import submitit

        assert self.config is not None
        from hydra.core.singleton import Singleton

        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        naming = self.config.hydra.job.config.override_dirname
        runs = [
            (list(overrides), "hydra.sweep.dir", initial_job_idx + i, f"job_id_for_{i}")
            for i, overrides in enumerate(job_overrides)
            if not is_complete(sweep_dir / override_dirname(list(overrides), naming))
        ]
        kept = len(job_overrides) - len(runs)
        done = [JobReturn(status=JobStatus.COMPLETED, _return_value=None) for _ in range(kept)]
        if not runs:
            print(f"sim: all {kept} runs finished earlier; nothing submitted", file=sys.stderr)
            return done
        state = Singleton.get_state()
        groups = [
            [(*run, state) for run in runs[i : i + self.jobs_per_task]]
            for i in range(0, len(runs), self.jobs_per_task)
        ]
        executor = submitit.AutoExecutor(
            cluster="slurm",
            folder=self.params["submitit_folder"],
            slurm_max_num_timeout=self.params.get("max_num_timeout", 0),
        )
        queue = {
            k: v for k, v in self.params.items() if k not in {"submitit_folder", "max_num_timeout"}
        }
        general = {
            "timeout_min",
            "cpus_per_task",
            "gpus_per_node",
            "tasks_per_node",
            "mem_gb",
            "nodes",
            "name",
            "stderr_to_stdout",
        }
        executor.update_parameters(
            **{k if k in general else f"slurm_{k}": v for k, v in queue.items()}
        )
        print(
            f"sim: submitting {len(runs)} runs in {len(groups)} array tasks"
            + (f" ({kept} finished earlier)" if kept else ""),
            file=sys.stderr,
        )
        jobs = executor.map_array(RunGroup(self), groups)
        return done + self.wait(jobs, groups)

    def wait(self, jobs: list[Any], groups: list[list[tuple[Any, ...]]]) -> list[JobReturn]:
        """Wait for every task; return its runs' results, or none for a lost or killed task."""
        pending = dict(enumerate(jobs))
        last_seen = dict.fromkeys(pending, time.monotonic())
        results: dict[int, list[JobReturn]] = {}
        while pending:
            queued = self.queued_ids()
            for index, job in list(pending.items()):
                if job.paths.result_pickle.exists():
                    results[index] = self.collect(job, groups[index])
                elif queued is not None and job.job_id in queued:
                    last_seen[index] = time.monotonic()
                    continue
                elif job.state in FINISHED:
                    results[index] = self.collect(job, groups[index])
                elif time.monotonic() - last_seen[index] < self.lost_after_s:
                    continue
                else:
                    print(
                        f"sim: SLURM task {job.job_id} is gone without a result "
                        f"(state {job.state}); its runs did not finish",
                        file=sys.stderr,
                    )
                    results[index] = self.lost(groups[index])
                del pending[index]
            if pending:
                time.sleep(self.poll_s)
        return [r for index in sorted(results) for r in results[index]]

    def collect(self, job: Any, group: list[tuple[Any, ...]]) -> list[JobReturn]:
        """Return a finished task's results; a killed task's runs count as unfinished."""
        try:
            return list(job.results()[0])
        except Exception as error:  # cancelled, timed out, node failure: read from the files
            print(
                f"sim: SLURM task {job.job_id} ended: {str(error).splitlines()[0]}", file=sys.stderr
            )
            return self.lost(group)

    @staticmethod
    def lost(group: list[tuple[Any, ...]]) -> list[JobReturn]:
        """Stand-in results for runs that never reported (their folders tell the story)."""
        return [JobReturn(status=JobStatus.COMPLETED, _return_value=None) for _ in group]

    @staticmethod
    def queued_ids() -> set[str] | None:
        """Job ids SLURM lists as queued or running (``<array>_<task>``), or None if unknown."""
        try:
            out = subprocess.run(
                ["squeue", "-h", "-r", "-o", "%i"], capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return set(out.stdout.split()) if out.returncode == 0 else None
