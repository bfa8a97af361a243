"""Configuration: loading hvrt.yaml into the typed model of :mod:`hvrt.config.model`."""
