"""Fails on start so the harness must report the pack's stderr."""

raise RuntimeError("broken-pack-marker: cannot start")
