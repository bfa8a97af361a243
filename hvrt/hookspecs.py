"""Every hook of hvrt, grouped by the stage of the pipeline that calls it.

The pipeline of one scenario is
``plan -> provision -> (configure | deploy) -> start -> test -> collect -> report ->
teardown`` (:data:`hvrt.stages.STAGES`; configure and deploy run side by side,
:data:`hvrt.stages.CONCURRENT`. Implement a hook with ``@hvrt.hookimpl`` in a module
that the ``hvrt`` entry-point group names; implementations of hooks that are not
listed here are rejected when the plugin manager is built.

Calling rules, chosen on purpose:

* ``firstresult`` where exactly one plugin must act (the transport of a host, the
  configurator of a node, the deployer, the test runner): the first non-``None``
  result wins, later implementations are not called.
* fan-out (every implementation runs, results come back as a list) for checks,
  collectors, reporters and :func:`hvrt_cli` (verbs and options plugins add).
* ``historic`` for :func:`hvrt_configure`, so a plugin registered late still sees
  the config.
* :func:`hvrt_stage` accepts ``wrapper=True`` implementations for around-logic
  (timing, log capture, retries) of any stage.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from hvrt import PROJECT_NAME

if TYPE_CHECKING:
    from hvrt.cli.registry import CommandLine
    from hvrt.config.model import Config, Host, Scenario
    from hvrt.config.schema import Block
    from hvrt.context import Deployment, RunContext, ScenarioContext
    from hvrt.results import RunSummary, ScenarioResult, TestCase
    from hvrt.transport.base import Transport

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# ------------------------------------------------------------------ command line


@hookspec
def hvrt_cli(cli: CommandLine) -> None:
    """Called once while the ``hvrt`` command line is built, before arguments are parsed.

    :param cli: add verbs with ``cli.add_command(...)`` and options of ``hvrt run``
        with ``cli.add_run_option(...)`` (their values reach the run's plugins as
        ``run.options.extra[dest]``). Every installed plugin is asked, whatever a
        config enables, so ``hvrt --help`` lists every verb.
    Fan-out; returns nothing.
    """


# --------------------------------------------------------------------------- plan


@hookspec(historic=True)
def hvrt_config_schema() -> list[Block]:
    """Called while a config loads, before it is checked, to learn which blocks the plugin reads.

    :return: :class:`hvrt.config.schema.Block` objects: the plugin's ``settings: <name>:``
        block and the blocks it reads from lab hosts (``winrm:``, ``salt:``, ...), each a
        set of typed fields. The loader checks every such block of the file against
        them (unknown keys, types, ranges, required keys) with file:line:column errors.
    Historic: a plugin registered later still contributes. All lists are concatenated;
    two different declarations of one block stop the load with a plugin error.
    """


@hookspec(historic=True)
def hvrt_configure(config: Config) -> None:
    """Called once the config is loaded and validated, before any run or plan.

    :param config: the loaded configuration; read ``config.plugin_settings(name)``.
    Historic: a plugin registered later is called at registration. Returns nothing.
    """


@hookspec
def hvrt_effective_values(config: Config, scenario: Scenario, controller: Host | None) -> dict[str, Any] | None:
    """Called by ``hvrt plan --effective`` to show what a plugin will write for a scenario.

    :param config: the loaded configuration (release overrides applied).
    :param scenario: the planned scenario.
    :param controller: its first candidate controller (a run may lease another), or None.
    :return: named values, secrets masked (the devstack plugin: ``{"local_conf": text}``,
        the tempest plugin: ``{"tempest_conf": {section: {key: value}}}``), or None when
        the plugin writes nothing for this scenario. Touches no host.
    Fan-out: the mappings are merged into the scenario's ``effective`` entry.
    """


@hookspec
def hvrt_profiles(config: Config) -> list[dict[str, Any]]:
    """Called while planning, to contribute extra profiles from a plugin.

    :param config: the loaded configuration.
    :return: raw profile mappings (as in the ``profiles:`` section, each with a
        ``name``); they go through the same validation as the config's own.
    Fan-out: all lists are concatenated; a duplicate name is a config error.
    """


# ---------------------------------------------------------------- run lifecycle


@hookspec
def hvrt_run_start(run: RunContext, scenarios: list[str]) -> None:
    """Called once per ``hvrt run`` after planning, before the first scenario starts.

    :param run: the run context (results folder, options).
    :param scenarios: names of the scenarios that will run (after ``--resume`` skips).
    Fan-out; returns nothing.
    """


@hookspec(firstresult=True)
def hvrt_stage(ctx: ScenarioContext, stage: str) -> Any:
    """Called by the engine to run one stage of one scenario.

    The core implements it by calling the stage's own hook below; plugins add
    ``wrapper=True`` implementations to act around every stage (timing, log capture).
    :param ctx: the scenario context, ``ctx.stage`` already set to ``stage``.
    :param stage: one of :data:`hvrt.stages.STAGES`.
    :return: whatever the stage's hook returned. Stops at the first non-None result.
    """


# ------------------------------------------------------------------ provisioning


@hookspec(firstresult=True)
def hvrt_open_transport(host: Host, run: RunContext) -> Transport | None:
    """Called the first time a scenario needs a connection to ``host``.

    :param host: the lab host; dispatch on ``host.transport`` ("ssh", "local", "winrm").
    :param run: the run context (redactor, cancel flag).
    :return: a :class:`hvrt.transport.base.Transport`, or ``None`` when the plugin does
        not handle that transport. Stops at the first non-None result.
    """


@hookspec
def hvrt_provision(ctx: ScenarioContext) -> list[dict[str, Any]] | None:
    """Called in the ``provision`` stage, after the core ran :func:`hvrt_preflight_host`
    on the leased hosts, for checks that need the scenario (its profile, its hosts together).

    :param ctx: the scenario context; ``ctx.nodes`` and ``ctx.controller`` are leased.
    Raise :class:`hvrt.errors.InfrastructureError` naming the host when a check fails.
    :return: check records ``{"host", "check", "ok", "detail"}`` for the report, or None.
    Fan-out: every plugin checks what it knows; records are merged.
    """


@hookspec
def hvrt_preflight_host(host: Host, run: RunContext, transport: Transport, timeout: float) -> list[dict[str, Any]] | None:
    """Called to check one lab host before it is used: by ``hvrt preflight``, for every
    host of a run before its first scenario starts, and in each scenario's
    ``provision`` stage for its leased hosts (:mod:`hvrt.preflight`).

    :param host: the host; act only on hosts whose ``host.transport`` (or role) the
        plugin knows, return None for the others.
    :param run: the run context (config, redactor, cancel flag).
    :param transport: the host's transport (opened by ``hvrt_open_transport``).
    :param timeout: seconds all of this plugin's remote calls for the host may take.
    :return: records ``{"host", "check", "ok", "detail", "fix"}``: ``ok`` False for a
        failed check (``fix`` says what to do), None for a check not run because an
        earlier one failed. Never raise for a failed check.
    Fan-out: every plugin checks what it knows; the records are merged per host.
    """


# ----------------------------------------------------------------- configuration


@hookspec(firstresult=True)
def hvrt_configure_node(ctx: ScenarioContext, node: Host) -> dict[str, Any] | None:
    """Called in the ``configure`` stage once per leased compute node.

    :param ctx: the scenario context.
    :param node: one leased compute node (nodes are configured in parallel).
    The node's configurator (``node.configurator``: winrm, salt, puppet, ...) acts:
    uninstall the old installer, install the MSI, apply INI overrides, vSwitch, live
    migration. It runs side by side with ``deploy``: the controller may not be up
    yet, so leave starting the services that talk to it to :func:`hvrt_start_node`
    (a configurator that restarts them here still works). Stop early when
    ``ctx.cancelled`` (the deploy failed). Raise :class:`hvrt.errors.ConfigurationFailed` naming the
    failed step.
    :return: a record of what was done (``{"configurator", "product_version", ...}``),
        or ``None`` when ``node.configurator`` is not this plugin's.
    Stops at the first non-None result; no result at all is a configuration error.
    """


# ------------------------------------------------------------------------ deploy


@hookspec(firstresult=True)
def hvrt_deploy(ctx: ScenarioContext) -> Deployment | None:
    """Called in the ``deploy`` stage to bring up the cloud on ``ctx.controller``.

    :param ctx: the scenario context; the leased nodes are in ``ctx.nodes``, being
        configured at the same time (``configure`` runs side by side), so checks that
        need the nodes in service belong in :func:`hvrt_check_deployment`. Stop early
        when ``ctx.cancelled`` (a node's configuration failed).
    :return: the :class:`hvrt.context.Deployment` the test runner uses, or ``None`` when
        this plugin is not the selected deployer (``settings: deploy: {deployer: ...}``).
    Stops at the first non-None result; the engine stores it in ``ctx.deployment``.
    """


# ------------------------------------------------------------------------- start


@hookspec(firstresult=True)
def hvrt_start_node(ctx: ScenarioContext, node: Host) -> dict[str, Any] | None:
    """Called in the ``start`` stage, once configure and deploy both ended, once per
    leased compute node (in parallel), before :func:`hvrt_check_deployment`.

    :param ctx: the scenario context; ``ctx.deployment`` is the deployed cloud.
    :param node: one leased compute node, configured by ``node.configurator``.
    The node's configurator (re)starts the services that join the node to the cloud
    and checks they run; raise :class:`hvrt.errors.ConfigurationFailed` naming the node.
    :return: a record (``{"services": {name: state}}``), or ``None`` when the node is
        not this plugin's or it has nothing to start (it did so in configure).
    Stops at the first non-None result; no result at all is not an error.
    """


@hookspec(firstresult=True)
def hvrt_check_deployment(ctx: ScenarioContext, deployment: Deployment) -> dict[str, Any] | None:
    """Called in the ``start`` stage after every node's :func:`hvrt_start_node`, to check
    that the cloud and its compute nodes are in service before the tests start.

    :param ctx: the scenario context.
    :param deployment: what the deployer returned (or the recorded one a
        ``--reuse-deployment`` run tests).
    Raise :class:`hvrt.errors.InfrastructureError` when the cloud is not healthy.
    :return: the health record (saved in ``facts["start"]["health"]``), or ``None``
        when this plugin is not the deployer or it checked health in ``deploy``.
    Stops at the first non-None result; no result at all is not an error.
    """


# ---------------------------------------------------------------- test execution


@hookspec(firstresult=True)
def hvrt_run_tests(ctx: ScenarioContext, deployment: Deployment) -> list[TestCase] | None:
    """Called in the ``test`` stage to run the scenario's test suite.

    :param ctx: the scenario context; the suite is ``ctx.profile.tempest``.
    :param deployment: what the deployer returned.
    :return: the final test records (after retries); zero executed tests must raise
        :class:`hvrt.errors.TestRunError`, never return an empty list as a pass.
    Stops at the first non-None result; the engine stores it in ``ctx.result.tests``.
    """


# -------------------------------------------------------------------- collection


@hookspec
def hvrt_collect(ctx: ScenarioContext) -> None:
    """Called in the ``collect`` stage, also after a failed stage, to gather evidence.

    :param ctx: the scenario context; write files with ``ctx.save`` (atomic, redacted).
    Save logs, config files (redacted), hotfix lists, system info through
    ``ctx.save``. A collector must not raise for a missing file: log it and go on.
    Fan-out; returns nothing.
    """


# --------------------------------------------------------------------- reporting


@hookspec
def hvrt_report_scenario(ctx: ScenarioContext, result: ScenarioResult) -> None:
    """Called in the ``report`` stage once a scenario's result is final.

    :param ctx: the scenario context; write with ``ctx.run.results.publish(path, text)``
        (masked, atomic, published modes) into ``ctx.dir``.
    :param result: the scenario's published result: status final, every text masked,
        long test output cut (the full text is in ``details_file``).
    Write per-scenario reports (results.html, junit.xml, ...). ``results.json`` is
    the core's: written once when the scenario has ended.
    Fan-out; returns nothing.
    """


@hookspec
def hvrt_report_run(run: RunContext, summary: RunSummary) -> None:
    """Called at the end of a run (also an interrupted one) and by ``hvrt report render``.

    :param run: the run context; write with ``run.results.publish(path, text)``.
    :param summary: every scenario's published result (kept ones from a resumed run
        included); ``summary.json`` is already written by the core.
    Write run-level reports (index.html, merged junit.xml).
    Fan-out; returns nothing.
    """


# ---------------------------------------------------------------------- teardown


@hookspec
def hvrt_teardown(ctx: ScenarioContext) -> None:
    """Called last for every scenario that started, whatever happened before.

    :param ctx: the scenario context.
    Release what the plugin holds for the scenario (leases, sessions, temp files).
    Must not raise; errors are logged. Fan-out; returns nothing. The engine closes
    the scenario's transports after every implementation ran.
    """
