"""A small MCP server over stdio for tests/test_runtime_bindings.py, written with the
official SDK (MCPServer in mcp 2.x, FastMCP in 1.x)."""

import os
import time

try:
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as Server

server = Server("aether-test")


@server.tool()
def multiply(a: int, b: int) -> int:
    """a times b."""
    return a * b


@server.tool()
def whoami() -> dict:
    """The server's process id (two calls of one run share one process)."""
    return {"pid": os.getpid()}


@server.tool()
def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"exploded: {reason}")


@server.tool()
def slow(seconds: float) -> str:
    """Sleeps."""
    time.sleep(seconds)
    return "done"


if __name__ == "__main__":
    server.run()
