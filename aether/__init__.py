"""aether: checker, runtime and tools for the .aether workflow language."""

__version__ = "0.1.0"
