"""Built-in plugin: DevStack deployer over SSH (entry points ``devstack`` and ``existing``)."""
