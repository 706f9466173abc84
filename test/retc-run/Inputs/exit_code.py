#!/usr/bin/env python3
"""exit_code.py N CMD...: runs CMD (output discarded) and succeeds only if
it exits with status N (not a signal, not a hang past 60 s)."""
import subprocess
import sys

want = int(sys.argv[1])
try:
    got = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, timeout=60).returncode
except subprocess.TimeoutExpired:
    print("timed out")
    sys.exit(1)
if got != want:
    print("exit status %d, expected %d" % (got, want))
sys.exit(0 if got == want else 1)
