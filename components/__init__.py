"""Pulumi components for Clover's data-residency sites: one subpackage per concern."""
