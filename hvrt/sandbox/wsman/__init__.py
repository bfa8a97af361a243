"""A simulated Hyper-V node: a WS-Management endpoint that real pywinrm talks to."""
