#!/usr/bin/env python3
"""fuzz.py RETC_RUN PACKAGE INPUT_DIR SCRATCH [--rounds N] [--seed S]

Damages a valid package and its .npy inputs at random (bit flips, byte
overwrites, truncations, insertions) and runs retc-run on each result. Every
run must end within 60 s with exit status 0 or 1, and a failing run must
print exactly one line, starting 'retc-run: error: '. Prints a summary; exits
1 on the first violation (a crash, a hang, a multi-line or malformed error).
"""
import argparse
import os
import random
import shutil
import subprocess
import sys


def mutate(data, rng):
    data = bytearray(data)
    kind = rng.choice(["flip", "byte", "truncate", "insert", "digits"])
    if not data:
        return bytes(data), kind
    pos = rng.randrange(len(data))
    if kind == "flip":
        data[pos] ^= 1 << rng.randrange(8)
    elif kind == "byte":
        data[pos] = rng.choice([0, 0x22, 0x2C, 0x30, 0x39, 0x5B, 0x7B, 0xFF,
                                rng.randrange(256)])
    elif kind == "truncate":
        del data[pos:]
    elif kind == "insert":
        data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
    else:  # Replace a digit run by a large or negative number.
        data[pos:pos + 1] = rng.choice([b"99999999999999999999", b"-1",
                                        b"0", b"1e400", b"4294967296"])
    return bytes(data), kind


def main():
    p = argparse.ArgumentParser()
    p.add_argument("retc_run")
    p.add_argument("package")
    p.add_argument("inputs")
    p.add_argument("scratch")
    p.add_argument("--rounds", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.scratch, exist_ok=True)
    with open(args.package, "rb") as f:
        package = f.read()
    names = sorted(n[:-4] for n in os.listdir(args.inputs) if n.endswith(".npy"))
    arrays = {}
    for name in names:
        with open(os.path.join(args.inputs, name + ".npy"), "rb") as f:
            arrays[name] = f.read()

    statuses = {}
    for round_ in range(args.rounds):
        pkg_path = os.path.join(args.scratch, "fuzz.retpkg")
        files = {}
        target = rng.choice(["package"] + names)
        data, kind = mutate(package if target == "package" else arrays[target], rng)
        with open(pkg_path, "wb") as f:
            f.write(data if target == "package" else package)
        for name in names:
            path = os.path.join(args.scratch, name + ".npy")
            with open(path, "wb") as f:
                f.write(data if name == target else arrays[name])
            files[name] = path
        out = os.path.join(args.scratch, "out")
        shutil.rmtree(out, ignore_errors=True)
        cmd = [args.retc_run, pkg_path, "--output-dir", out]
        for name, path in files.items():
            cmd += ["--input", "%s=%s" % (name, path)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True,
                               errors="replace", timeout=60)
        except subprocess.TimeoutExpired:
            print("round %d (%s, %s): hang" % (round_, target, kind))
            return 1
        lines = r.stderr.splitlines()
        errors = [l for l in lines if l.startswith("retc-run: error: ")]
        ok = (r.returncode == 0 and not errors) or \
             (r.returncode == 1 and len(lines) == 1 and len(errors) == 1)
        if not ok:
            print("round %d (%s, %s): exit %d, stderr %r"
                  % (round_, target, kind, r.returncode, r.stderr[:500]))
            shutil.copy(pkg_path, pkg_path + ".bad")
            return 1
        statuses[r.returncode] = statuses.get(r.returncode, 0) + 1
    print("fuzz: %d rounds, exit 0: %d, exit 1: %d"
          % (args.rounds, statuses.get(0, 0), statuses.get(1, 0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
