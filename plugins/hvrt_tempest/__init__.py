"""Built-in plugin: the Tempest test runner (entry point ``tempest``)."""
