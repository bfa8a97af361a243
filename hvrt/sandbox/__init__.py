"""The sandbox lab: simulated Hyper-V nodes, a controller and its DevStack stand-in."""
