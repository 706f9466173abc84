#!/usr/bin/env python3
"""file_size_sweep.py --tmpdir DIR --output FILE [--max-kib N] -- CMD ARGS...

Runs CMD (which writes FILE, using DIR as $TMPDIR) under a file-size limit
(RLIMIT_FSIZE, as `ulimit -f` sets it) of 1 KiB, 2 KiB, ... until a run
succeeds (at most N KiB, default 64), so that the write fails at every
stage a file of CMD's passes through: temporaries in DIR, a linker's
output, the output itself. SIGXFSZ has its default action in CMD (it kills
a program that does not ignore it). Each failing run must exit with status
1 (not a signal) printing exactly one line on stderr and nothing on
stdout, and leave neither FILE nor anything in DIR behind; the successful
run must print nothing and write FILE. Prints one line per run,
`<N> KiB: <CMD's stderr line>` or `<N> KiB: ok`; exit status 1, after
saying why, at the first run that breaks a rule.
"""
import argparse
import os
import resource
import subprocess
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tmpdir", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--max-kib", type=int, default=64)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    os.makedirs(a.tmpdir, exist_ok=True)
    env = dict(os.environ, TMPDIR=a.tmpdir)

    for kib in range(1, a.max_kib + 1):
        if os.path.lexists(a.output):
            os.remove(a.output)

        def limit(kib=kib):
            resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))

        # restore_signals (the default) gives CMD SIGXFSZ's default action,
        # which Python itself ignores.
        r = subprocess.run(cmd, env=env, preexec_fn=limit, capture_output=True,
                           text=True, timeout=300)
        lines = r.stderr.splitlines()
        left = sorted(os.listdir(a.tmpdir))
        problems = []
        if r.returncode not in (0, 1):
            problems.append("exit status %d" % r.returncode)
        if r.stdout:
            problems.append("output on stdout")
        if left:
            problems.append("left in %s: %s" % (a.tmpdir, " ".join(left)))
        if r.returncode == 0 and (lines or not os.path.exists(a.output)):
            problems.append("succeeded with %d lines on stderr, %s"
                            % (len(lines), "output written"
                               if os.path.exists(a.output) else "no output"))
        if r.returncode == 1 and (len(lines) != 1 or
                                  os.path.lexists(a.output)):
            problems.append("failed with %d lines on stderr%s"
                            % (len(lines), ", output left behind"
                               if os.path.lexists(a.output) else ""))
        if problems:
            print("%d KiB: %s" % (kib, "; ".join(problems)))
            print("--- stderr ---\n" + r.stderr, end="")
            return 1
        print("%d KiB: %s" % (kib, lines[0] if lines else "ok"))
        if r.returncode == 0:
            return 0
    print("no run succeeded with up to %d KiB" % a.max_kib)
    return 1


if __name__ == "__main__":
    sys.exit(main())
