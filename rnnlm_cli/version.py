"""The tool's version: one place, read by the package, signatures and model headers."""
__version__ = "0.1.0"
