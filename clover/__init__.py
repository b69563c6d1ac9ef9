"""Clover: infrastructure as code that keeps European user data in Europe."""

__version__ = "0.1.0"
