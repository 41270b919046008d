"""What a platform policy declares about itself beside its rules: the registry's vocabulary.

A policy's config dataclass (``sim.core.config``) carries a ``PolicyInfo`` as
its ``info`` class attribute, and ranges on its fields (``bounded``); its
behaviour is a ``Policy`` subclass in ``sim.engine.policies``. Everything that
lists policies (figures, reports, console summary, dashboard, docking) reads
them from the registry, never from names of its own. This module holds plain
data only, so layers that need a policy's name, colour or levers import no
engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOUNDS = "bounds"  # field metadata key of a field's valid range
LEVER = "lever"  # field metadata key of a field shown as a dashboard control


@dataclass(frozen=True)
class Bounds:
    """The valid range of a numeric config field; ``None`` for an open end.

    ``rule`` is the range in the words of the config's error messages
    (``in [0, 1]``, ``>= 0``, ``> 0``).
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: float) -> bool:
        """Whether ``value`` is in the range."""
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def rule(self) -> str:
        """Return the range as the error message says it."""
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        return f"{'<' if self.high_open else '<='} {self.high:g}"


PROBABILITY = Bounds(0.0, 1.0)
NON_NEGATIVE = Bounds(0.0)
POSITIVE = Bounds(0.0, low_open=True)
AT_LEAST_ONE = Bounds(1.0)


@dataclass(frozen=True)
class Lever:
    """A config field the dashboard shows as a control (its range: the field's ``Bounds``).

    Attributes:
        label: the control's label (``"C2B: needs posted"``).
        step: the slider's step.
        top: the slider's end for a field unbounded above.
        zero_is_none: 0 on the slider means ``None`` (off), as for a cap.

    """

    label: str
    step: float = 0.05
    top: float | None = None
    zero_is_none: bool = False


def bounded(default: Any, bounds: Bounds | None = None, lever: Lever | None = None) -> Any:
    """Return a dataclass field with ``default``, its valid range and, if a lever, its control."""
    metadata: dict[str, object] = {}
    if bounds is not None:
        metadata[BOUNDS] = bounds
    if lever is not None:
        metadata[LEVER] = lever
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class DockFault:
    """A negative control of docking (``sim.verify.dock.Fault``) that needs this policy.

    ``key`` set to ``value`` in the fast engine only, from ``default`` in the
    docking regime; ``regime`` names the regime that exercises it.
    """

    submodel: str
    key: str
    value: float
    default: float
    regime: str = "main"


@dataclass(frozen=True)
class Docking:
    """How ``sim.verify.dock`` docks a policy against the per-agent reference engine.

    Attributes:
        docked: whether the reference engine implements the policy (a policy
            without a reference twin is not docked).
        regimes: regimes of the policy's own (name -> overrides for both engines),
            each docked beside the main regime.
        seeds: seeds per regime where the run-to-run spread needs more than the default.
        faults: negative controls that need the policy.

    """

    docked: bool = False
    regimes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seeds: dict[str, int] = field(default_factory=dict)
    faults: tuple[DockFault, ...] = ()


@dataclass(frozen=True)
class PolicyInfo:
    """How a policy shows itself: name for readers, colour, marker, console rows, docking.

    Attributes:
        label: the name readers see (``"separate shop"``).
        colour: its colour in every figure and the dashboard.
        marker: its matplotlib marker.
        baseline: the policy every other is compared with (laissez-faire).
        summary_rows: rows the console summary adds for it: (label, key, unit),
            the key a daily column or a key of the run's summary.
        docking: how docking treats it.

    """

    label: str
    colour: str
    marker: str = "o"
    baseline: bool = False
    summary_rows: tuple[tuple[str, str, str], ...] = ()
    docking: Docking = field(default_factory=Docking)
