"""Execution module ``hvrt``: run hvrt scenarios on a runner minion (``salt 'runner*' hvrt.run``).

The minion runs hvrt as a child process and returns its JSON summary; the job's
return code is hvrt's exit code, so ``salt`` reports the minion as failed and an
orchestrate ``salt.function`` step fails unless every scenario passed.

.. code-block:: bash

    salt 'runner1' hvrt.run profile=2012r2-vhdx config=/srv/hvrt/hvrt.yaml results=/srv/results
    salt 'runner*' hvrt.results run=/srv/results
    salt 'runner1' hvrt.leases config=/srv/hvrt/hvrt.yaml coordination=redis://lab-redis:6379
"""
from __future__ import annotations

from hvrt_saltstack import hvrtcall

__virtualname__ = "hvrt"


def __virtual__():
    return __virtualname__


def _retcode(code):
    __context__["retcode"] = int(code)  # noqa: F821 -- injected by Salt's loader


def run(profile=None, config="hvrt.yaml", results=None, all=False, jobs=None, resume=None,
        fail_fast=False, baseline=None, hvrt_bin=None, cwd=None, timeout=None, env=None, coordination=None):
    """Run hvrt on this minion (``hvrt run --json``) and return its summary.

    The arguments are those of the ``hvrt.run`` runner; give every runner minion of one
    lab the same ``coordination`` URL so their runs never use one host at the same time.
    """
    code, summary = hvrtcall.run(config=config, profile=profile, all_profiles=bool(all), results=results,
                                 jobs=jobs, resume=resume, fail_fast=bool(fail_fast), baseline=baseline,
                                 hvrt_bin=hvrt_bin, cwd=cwd, timeout=timeout, env=env,
                                 coordination=coordination)
    _retcode(code)
    return summary


def plan(config="hvrt.yaml", profile=None, all=False, hvrt_bin=None, cwd=None):
    """What ``hvrt.run`` would run on this minion, touching no host."""
    code, data = hvrtcall.plan(config=config, profile=profile, all_profiles=bool(all),
                               hvrt_bin=hvrt_bin, cwd=cwd)
    _retcode(code)
    return data


def leases(config="hvrt.yaml", coordination=None, hvrt_bin=None, cwd=None):
    """Which hosts of the lab are held now, as this minion sees them (``hvrt leases``)."""
    code, data = hvrtcall.leases(config=config, coordination=coordination, hvrt_bin=hvrt_bin, cwd=cwd)
    _retcode(code)
    return data


def results(run):
    """The summary of a run folder on this minion (or of the newest run below a results root)."""
    code, summary = hvrtcall.results(run)
    _retcode(code)
    return summary
