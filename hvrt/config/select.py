"""Choose the scenarios of a run or plan from the profiles of a loaded config.

``hvrt run`` / ``hvrt plan`` call :func:`select_scenarios` with the ``--profile``
names and ``--all``. Scenario order always follows the config, whatever order the
names were given in, so plans and runs are reproducible.
"""
from __future__ import annotations

from hvrt.config.check import did_you_mean
from hvrt.config.model import Config, Profile, Scenario
from hvrt.config.rules import candidate_nodes
from hvrt.errors import UsageError


def scenario_for(config: Config, profile: Profile) -> Scenario:
    """A profile with its candidate nodes and controllers from the lab."""
    if profile.controller:
        controllers: tuple[str, ...] = (profile.controller,)
    else:
        controllers = tuple(config.controllers)
    return Scenario(
        name=profile.name, profile=profile,
        candidate_nodes=candidate_nodes(profile, config.nodes),
        candidate_controllers=controllers,
    )


def select_scenarios(config: Config, names: list[str] | tuple[str, ...], *, all: bool) -> list[Scenario]:
    """The scenarios to run.

    :param names: explicit profile names; an unknown or abstract one is a
        :class:`UsageError` (with a did-you-mean).
    :param all: every non-abstract profile (names are then ignored).
    With neither, the profiles whose ``include_default`` is true.
    """
    runnable = config.scenario_profiles()
    if all:
        chosen = runnable
    elif names:
        wanted = set(names)
        for name in dict.fromkeys(names):
            profile = config.profiles.get(name)
            if profile is None:
                hint = did_you_mean(name, [p.name for p in runnable])
                raise UsageError(f"unknown profile '{name}'{hint}; `hvrt profiles` lists them")
            if profile.abstract:
                raise UsageError(f"profile '{name}' is abstract (a base for extends:), not a scenario")
        chosen = [p for p in runnable if p.name in wanted]
    else:
        chosen = [p for p in runnable if p.include_default]
    return [scenario_for(config, p) for p in chosen]
