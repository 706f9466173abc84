#!/usr/bin/env python3
"""Compile a GPU model package here, check it on the GPU machine.

retc cannot run on the GPU machine, so a GPU model test runs twice: on the
build machine (lit --param gpu_compile_only=1) this compiles the checkpoint
into PACKAGE_DIR/NAME.retpkg; on the GPU machine, with --check, it runs
check_model.py on that package (the same seed makes the same checkpoint in
both places) and exits with its status.

  gpu_model_package.py --retc RETC --package-dir DIR NAME CKPT [retc flags]
  gpu_model_package.py --check --retc-run RUN --package-dir DIR NAME CKPT
                       --workdir W [check_model.py flags]
"""
import argparse
import os
import subprocess
import sys


def main(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true",
                   help="run check_model.py on the package instead of compiling")
    p.add_argument("--retc", help="the retc command (compiling)")
    p.add_argument("--retc-run", help="the retc-run command (--check)")
    p.add_argument("--package-dir", required=True)
    p.add_argument("name", help="the package's name in PACKAGE_DIR")
    p.add_argument("checkpoint")
    args, rest = p.parse_known_args(argv)
    package = os.path.join(args.package_dir, args.name + ".retpkg")
    if args.check:
        if not os.path.exists(package):
            sys.exit("gpu_model_package.py: %s does not exist; compile the GPU "
                     "packages first (lit --param gpu_compile_only=1)" % package)
        checker = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "check_model.py")
        cmd = [sys.executable, checker, args.checkpoint, "--retc-run",
               args.retc_run, "--package", package] + rest
        return subprocess.call(cmd)
    if not args.retc:
        sys.exit("gpu_model_package.py: --retc is required to compile")
    os.makedirs(args.package_dir, exist_ok=True)
    cmd = [args.retc, args.checkpoint] + rest + ["-o", package]
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
