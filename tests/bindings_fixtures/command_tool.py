"""A command tool for tests/test_runtime_bindings.py: reads the call as JSON on stdin and
answers by the keyword `mode` (echo the request, fail, bad JSON, huge output, hang,
fork a child that holds stdout, or write `text` as it is)."""

import json
import os
import sys
import time

request = json.load(sys.stdin)
mode = request["kwargs"].get("mode", "echo")
if mode == "echo":
    json.dump({"request": request, "cwd": os.getcwd(), "env": sorted(os.environ)}, sys.stdout)
elif mode == "fail":
    print("something went wrong\nboom: disk full", file=sys.stderr)
    sys.exit(3)
elif mode == "badjson":
    print("this is not json")
elif mode == "raw":
    sys.stdout.write(request["kwargs"]["text"])
elif mode == "huge":
    sys.stdout.write("[" + "1," * 100_000 + "1]")
elif mode == "fork":  # answers and exits; a child it forked keeps stdout open
    child = os.fork()
    if child == 0:
        time.sleep(120)
        os._exit(0)
    with open(request["kwargs"]["pidfile"], "w") as fh:
        fh.write(str(child))
    json.dump("answered", sys.stdout)
    sys.stdout.flush()
    os._exit(0)
elif mode == "hang":
    with open(request["kwargs"]["pidfile"], "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(120)
