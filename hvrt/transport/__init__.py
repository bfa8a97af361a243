"""Transports reach a host of the lab: run commands and move files, with timeouts and limits."""
from hvrt.transport.base import CommandResult, OutputHandler, Transport
from hvrt.transport.download import DownloadLimits, DownloadSummary
from hvrt.transport.output import OutputLimits

__all__ = ["CommandResult", "DownloadLimits", "DownloadSummary", "OutputHandler", "OutputLimits", "Transport"]
