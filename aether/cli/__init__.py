"""The command-line shell: thin click commands over the library, one module per command."""
