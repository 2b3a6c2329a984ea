"""A command tool for the resume tests: appends its first argument as a line to
lines.txt (so a call made twice shows as a repeated line). With a file `kill-after` in
the working folder whose text is this line (or empty: any line), it removes the file and
SIGKILLs the process that called it right after appending: the effect happened, its
result was never recorded (an in-doubt call)."""

import json
import os
import signal
import sys

request = json.load(sys.stdin)
line = str(request["args"][0])
with open("lines.txt", "a", encoding="utf-8") as fh:
    fh.write(line + "\n")
    fh.flush()
    os.fsync(fh.fileno())
if os.path.exists("kill-after") and open("kill-after").read().strip() in ("", line):
    os.remove("kill-after")
    os.kill(os.getppid(), signal.SIGKILL)
json.dump({"wrote": line}, sys.stdout)
