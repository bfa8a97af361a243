"""This folder is a unittest suite run by stestr to record real subunit streams
(see regenerate.sh); its failures are on purpose, so pytest must not collect it."""
collect_ignore = ["hvrt_suite"]
