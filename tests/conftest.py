"""Shared fixtures of hvrt's own tests (the ``hvrt.testing`` plugin adds the engine ones)."""
