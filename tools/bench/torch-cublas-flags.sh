#===- torch-cublas-flags.sh - cuBLAS folders of a torch install -----------===#
#
# Sourced by run-gpu-bench.sh and run-gpu-model-bench.sh. `torch_cublas_flags`
# sets the array TORCH_CUBLAS_FLAGS to `--cublas-dir FOLDER` for each folder
# of the Python wheels next to torch that may hold cuBLAS (CUDA 13:
# nvidia/cu13/lib, CUDA 12: nvidia/cublas/lib, torch/lib): a last resort
# after the benchmark program's own search. find_spec does not import torch.
#===----------------------------------------------------------------------===#
torch_cublas_flags() {
  TORCH_CUBLAS_FLAGS=()
  local site d
  site=$(python3 -c 'import importlib.util as u, os
s = u.find_spec("torch")
print(os.path.dirname(os.path.dirname(s.origin)) if s and s.origin else "")' \
    2>/dev/null || true)
  [[ -n $site ]] || return 0
  for d in "$site/nvidia/cu13/lib" "$site/nvidia/cublas/lib" "$site/torch/lib"; do
    if [[ -d $d ]]; then
      TORCH_CUBLAS_FLAGS+=(--cublas-dir "$d")
    fi
  done
  return 0
}
