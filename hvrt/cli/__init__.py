"""The hvrt command line."""
