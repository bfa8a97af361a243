"""Built-in plugin: WinRM transport, Hyper-V configurator and collector (entry point ``winrm``)."""
