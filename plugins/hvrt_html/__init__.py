"""Built-in plugin: HTML, JUnit and JSON reports (entry point ``html``)."""
