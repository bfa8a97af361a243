"""State module ``hvrt``: an orchestrate step that passes only when a scenario passed.

.. code-block:: yaml

    2012r2-vhdx:
      hvrt.scenario_passed:
        - config: /srv/hvrt/hvrt.yaml
        - results: /srv/results

    publish:
      salt.runner:
        - name: hvrt.merge
        - runs: [/srv/results]
        - out: /srv/published/latest
        - require:
          - hvrt: 2012r2-vhdx

``name`` is the profile to run (or give ``profile``). With ``run_dir`` the state runs
nothing and judges a run that already happened. With ``test=True`` it only plans.
"""
from __future__ import annotations

from hvrt_saltstack import hvrtcall

__virtualname__ = "hvrt"


def __virtual__():
    return __virtualname__


def _scenario(summary, name):
    for scenario in summary.get("scenarios") or []:
        if scenario.get("name") == name:
            return scenario
    return None


def _judge(ret, code, summary, name, *, need_scenario=False):
    """Pass when the scenario ``name`` passed; without such a scenario, when hvrt exited 0."""
    scenario = _scenario(summary, name)
    counts = summary.get("test_counts") or {}
    ret["changes"] = {
        "run_dir": summary.get("run_dir"),
        "exit_code": code,
        "scenario_counts": summary.get("scenario_counts") or {},
        "test_counts": counts,
    }
    if scenario is None and need_scenario:
        ret["result"] = False
        ret["comment"] = f"{summary.get('run_dir') or 'the run'} has no scenario {name}"
        error = summary.get("error")
        if error:
            ret["comment"] += f": {error}"
        return ret
    if scenario is not None:
        counts = scenario.get("counts") or counts
        status = scenario.get("status")
        passed = status == "passed"
    else:
        status = "passed" if code == 0 else hvrtcall.EXIT_MEANING.get(code, f"exit code {code}")
        passed = code == 0
    tests = f"{counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed of {counts.get('total', 0)}"
    ret["result"] = passed
    ret["comment"] = f"scenario {name} {status} ({tests})"
    error = "" if passed else (scenario or {}).get("error") or summary.get("stderr") or summary.get("error") or ""
    if error:
        ret["comment"] += f": {error}"
    return ret


def scenario_passed(name, config="hvrt.yaml", profile=None, results=None, run_dir=None, jobs=None,
                    hvrt_bin=None, cwd=None, timeout=None, env=None, coordination=None):
    """Run the profile ``name`` (or ``profile``) with hvrt; succeed only if it passed.

    config, results, jobs, hvrt_bin, cwd, timeout, env, coordination
        as for the ``hvrt.run`` execution module
    run_dir
        judge this finished run folder (or the newest run below a results root) instead
        of running anything
    """
    ret = {"name": name, "result": False, "changes": {}, "comment": ""}
    profile = profile or name
    if run_dir:
        code, summary = hvrtcall.results(run_dir)
        return _judge(ret, code, summary, profile, need_scenario=True)
    if __opts__.get("test"):  # noqa: F821 -- injected by Salt's loader
        code, plan = hvrtcall.plan(config=config, profile=profile, hvrt_bin=hvrt_bin, cwd=cwd)
        ret["result"] = None if code == 0 else False
        ret["comment"] = f"hvrt would run profile {profile}" if code == 0 else f"hvrt cannot plan {profile}"
        ret["changes"] = {"plan": plan}
        return ret
    code, summary = hvrtcall.run(config=config, profile=profile, results=results, jobs=jobs,
                                 hvrt_bin=hvrt_bin, cwd=cwd, timeout=timeout, env=env,
                                 coordination=coordination)
    return _judge(ret, code, summary, profile)
