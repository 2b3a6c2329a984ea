"""A hostile MCP server over stdio for tests/test_runtime_bindings.py, written without the
SDK so that it can misbehave: `raw_mcp_server.py MODE PIDFILE` (crash at start, hang at
initialize, crash during a call, garbage instead of an answer, or answer 42)."""

import json
import os
import sys
import time

mode, pidfile = sys.argv[1], sys.argv[2]
with open(pidfile, "w") as fh:
    fh.write(str(os.getpid()))
if mode == "crash_at_start":
    sys.exit(5)


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    method = msg.get("method")
    if method == "initialize":
        if mode == "hang_init":
            time.sleep(3600)
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {
            "protocolVersion": msg["params"]["protocolVersion"],
            "capabilities": {"tools": {}}, "serverInfo": {"name": "raw", "version": "1"}}})
    elif method == "tools/call":
        if mode == "crash_mid_call":
            os._exit(7)
        if mode == "garbage":
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
            continue
        send({"jsonrpc": "2.0", "id": msg["id"],
              "result": {"content": [{"type": "text", "text": "42"}]}})
    elif "id" in msg:
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"tools": []}
              if method == "tools/list" else {}})
