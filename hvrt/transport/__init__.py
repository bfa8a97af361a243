"""Transports reach a host of the lab: run commands and move files, with timeouts."""
from hvrt.transport.base import CommandResult, OutputHandler, Transport

__all__ = ["CommandResult", "OutputHandler", "Transport"]
