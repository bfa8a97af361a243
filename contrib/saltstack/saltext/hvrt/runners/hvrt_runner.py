"""Runner ``hvrt``: run hvrt scenarios from the salt-master (``salt-run hvrt.run ...``).

Every function returns hvrt's JSON summary and sets the runner's return code from
hvrt's exit code, so ``salt-run`` exits non-zero for a failing run and an
orchestrate ``salt.runner`` step fails (``require`` stops, ``onfail`` fires).

.. code-block:: bash

    salt-run hvrt.run profile=2012r2-vhdx config=/srv/hvrt/hvrt.yaml results=/srv/results
    salt-run hvrt.plan config=/srv/hvrt/hvrt.yaml
    salt-run hvrt.results run=/srv/results/dev/20250101-120000
    salt-run hvrt.merge runs='[/srv/r1, /srv/r2]' out=/srv/results/merged
    salt-run hvrt.leases config=/srv/hvrt/hvrt.yaml coordination=redis://lab-redis:6379
"""
from __future__ import annotations

from hvrt_saltstack import hvrtcall

__virtualname__ = "hvrt"


def __virtual__():
    return __virtualname__


def _done(code, data):
    """Mark the job failed unless ``code`` is 0: Salt reads the job's ``retcode`` from
    the context (orchestrate) and ``salt-run`` its exit status from the return."""
    __context__["retcode"] = int(code)  # noqa: F821 -- injected by Salt's loader
    if isinstance(data, dict):
        data["retcode"] = int(code)
    return data


def run(profile=None, config="hvrt.yaml", results=None, all=False, jobs=None, resume=None,
        fail_fast=False, baseline=None, hvrt_bin=None, cwd=None, timeout=None, env=None, coordination=None):
    """Run hvrt (``hvrt run --json``); return its summary. Fails unless every scenario passed.

    profile
        a profile name, a list of them, or ``"a,b"``
    config
        hvrt's configuration file (relative paths are taken from ``cwd``)
    results
        root of the results tree
    all, jobs, resume, fail_fast, baseline
        as the options of ``hvrt run``
    hvrt_bin
        the ``hvrt`` command to use (default: this Python's ``-m hvrt.cli.main``)
    env
        extra environment variables for hvrt (credentials it reads with ``${env:...}``)
    coordination
        the tooz URL of the lab's host leases (``$HVRT_COORDINATION``, over the config's
        ``lab.coordination``); runs given the same URL never use one host at the same time
    """
    code, summary = hvrtcall.run(config=config, profile=profile, all_profiles=bool(all), results=results,
                                 jobs=jobs, resume=resume, fail_fast=bool(fail_fast), baseline=baseline,
                                 hvrt_bin=hvrt_bin, cwd=cwd, timeout=timeout, env=env,
                                 coordination=coordination)
    return _done(code, summary)


def plan(config="hvrt.yaml", profile=None, all=False, hvrt_bin=None, cwd=None):
    """What ``hvrt.run`` would run (``hvrt plan --json``), touching no host."""
    code, data = hvrtcall.plan(config=config, profile=profile, all_profiles=bool(all),
                               hvrt_bin=hvrt_bin, cwd=cwd)
    return _done(code, data)


def leases(config="hvrt.yaml", coordination=None, hvrt_bin=None, cwd=None):
    """Which hosts of the lab are held now, and by which runner, run and scenario (``hvrt leases``)."""
    code, data = hvrtcall.leases(config=config, coordination=coordination, hvrt_bin=hvrt_bin, cwd=cwd)
    return _done(code, data)


def results(run):
    """The summary of a finished run folder (or of the newest run below a results root).

    The return code is the one ``hvrt run`` gave for that run.
    """
    code, summary = hvrtcall.results(run)
    return _done(code, summary)


def merge(runs, out, link=False, hvrt_bin=None):
    """Join several runs into one run folder ``out`` with one index (``hvrt report merge``).

    runs
        run folders, or results roots (their newest run is taken)
    """
    if isinstance(runs, str):
        runs = [r.strip() for r in runs.split(",") if r.strip()]
    code, data = hvrtcall.merge(runs=runs, out=out, link=bool(link), hvrt_bin=hvrt_bin)
    return _done(code, data)
