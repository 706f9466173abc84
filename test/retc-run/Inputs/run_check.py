#!/usr/bin/env python3
"""run_check.py [--exit N] [--stdout RE]... [--stderr RE]... [--no-stderr]
                [--one-line-error] [--env NAME=VALUE]... -- CMD...

Runs CMD (at most 300 s) and checks what it did, without FileCheck (which
the GPU machine may lack): the exit status (default 0), that each --stdout /
--stderr regular expression matches somewhere in that stream (re.search,
multiline), with --no-stderr that stderr is empty, and with
--one-line-error that stderr is exactly one line starting 'retc-run:
error: '. Prints the streams and what failed; exits 1 on any failure.
"""
import argparse
import os
import re
import subprocess
import sys


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        print("run_check.py: expected -- CMD...")
        return 2
    split = argv.index("--")
    p = argparse.ArgumentParser()
    p.add_argument("--exit", type=int, default=0)
    p.add_argument("--stdout", action="append", default=[])
    p.add_argument("--stderr", action="append", default=[])
    p.add_argument("--no-stderr", action="store_true")
    p.add_argument("--one-line-error", action="store_true")
    p.add_argument("--env", action="append", default=[])
    args = p.parse_args(argv[:split])
    cmd = argv[split + 1:]
    env = dict(os.environ)
    for item in args.env:
        name, _, value = item.partition("=")
        env[name] = value
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                           env=env)
    except subprocess.TimeoutExpired:
        print("run_check.py: timed out: %s" % " ".join(cmd))
        return 1
    problems = []
    if r.returncode != args.exit:
        problems.append("exit status %d, expected %d" % (r.returncode, args.exit))
    for regex in args.stdout:
        if not re.search(regex, r.stdout, re.M):
            problems.append("stdout does not match %r" % regex)
    for regex in args.stderr:
        if not re.search(regex, r.stderr, re.M):
            problems.append("stderr does not match %r" % regex)
    if args.no_stderr and r.stderr:
        problems.append("stderr is not empty")
    if args.one_line_error:
        lines = r.stderr.splitlines()
        if len(lines) != 1 or not lines[0].startswith("retc-run: error: "):
            problems.append("stderr is not one 'retc-run: error: ' line")
    sys.stdout.write("$ %s\n--- stdout\n%s--- stderr\n%s" % (
        " ".join(cmd), r.stdout, r.stderr))
    for problem in problems:
        print("run_check.py: FAIL: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
