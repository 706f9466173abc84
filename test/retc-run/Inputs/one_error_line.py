#!/usr/bin/env python3
"""one_error_line.py CMD...: runs CMD and succeeds only if it exits with
status 1 (not a signal, not a hang past 120 s), prints nothing on stdout and
exactly one line on stderr; that line is printed on stdout for FileCheck.
Otherwise it says what was wrong and prints CMD's output."""
import subprocess
import sys

try:
    r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
except subprocess.TimeoutExpired:
    print("one_error_line: timed out after 120 s")
    sys.exit(1)
lines = r.stderr.splitlines()
problems = []
if r.returncode != 1:
    problems.append("exit status %d, expected 1" % r.returncode)
if len(lines) != 1:
    problems.append("%d lines on stderr, expected 1" % len(lines))
if r.stdout:
    problems.append("stdout is not empty")
if problems:
    print("one_error_line: " + "; ".join(problems))
    print("--- stdout ---\n" + r.stdout + "--- stderr ---\n" + r.stderr)
    sys.exit(1)
print(lines[0])
