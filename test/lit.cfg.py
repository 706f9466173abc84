# -*- Python -*-
# lit configuration for retc: tools, substitutions and hardware features.
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "RETC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.retc_obj_root, "test")
config.excludes = ["lib", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%testlib", os.path.join(config.retc_src_root, "test", "lib")))
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"
# The kernels parallelise with OpenMP; keep test runs from oversubscribing.
# `lit --param omp_threads=N` runs the whole suite at N threads (the
# threads-1-and-3 tests run theirs at 1 and 3 whatever this is).
config.environment["OMP_NUM_THREADS"] = lit_config.params.get("omp_threads", "2")

# RETC_CHECK_MODEL_LOG: where check_model.py logs each relative error
# (docs/testing.md, "Whole models").
llvm_config.with_system_environment(["HOME", "TMPDIR", "CUDA_VISIBLE_DEVICES",
                                     "RETC_CHECK_MODEL_LOG"])
if os.path.exists(os.path.join(config.llvm_tools_dir, "FileCheck")):
    llvm_config.use_default_substitutions()
else:
    # The GPU machine has no LLVM test tools: only the self-checking suites
    # (test/gpu, test/retc-run/cuda) run there (scripts/gpu-check.sh).
    lit_config.note("FileCheck not found in %s: run only suites that do "
                    "not use it" % config.llvm_tools_dir)
# `not`, `count` and FileCheck are found on PATH too (lit substitutes `not`
# only after a pipe).
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.retc_tools_dir, config.llvm_tools_dir]
tools = ["retc", "retc-opt", "retc-run", "retc-decode-loop"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Lowered IR run in-process by mlir-runner (test/codegen/*-run.mlir), with
# the C runner utilities (printF64): feature `mlir-runner`.
_runner = os.path.join(config.llvm_tools_dir, "mlir-runner")
_runner_utils = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib",
                             "libmlir_c_runner_utils.so")
if os.path.exists(_runner) and os.path.exists(_runner_utils):
    config.available_features.add("mlir-runner")
    config.substitutions.append(("%mlir_runner", _runner))
    config.substitutions.append(("%mlir_c_runner_utils", _runner_utils))

# Numerical tests need numpy for the float64 reference.
try:
    import numpy  # noqa: F401
    config.available_features.add("numpy")
except ImportError:
    pass

# Compiling GPU kernels to PTX needs the CUDA toolkit's libdevice (and
# ptxas for cubins): feature `cuda-toolkit`.
_toolkit = "/usr/local/cuda"
if os.path.exists(os.path.join(_toolkit, "nvvm", "libdevice", "libdevice.10.bc")) \
        and os.path.exists(os.path.join(_toolkit, "bin", "ptxas")):
    config.available_features.add("cuda-toolkit")

# The `cuda` feature is on only where a GPU and its driver are present.
def _has_cuda_gpu():
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
        return out.returncode == 0 and "GPU" in out.stdout
    except Exception:
        return False

if _has_cuda_gpu():
    config.available_features.add("cuda")
