# Sourced by the scripts that run lit on the GPU machine (gpu-check.sh,
# gpu-sanitize.sh), where retc cannot run: `device_lit_site DEV ROOT`
# writes a lit site configuration for that machine's paths (tools from the
# staged DEV folder, sources from the repository ROOT) and prints the site
# folder; `device_lit DEV ARGS...` runs the lit copied into DEV.
device_lit_site() {
  local dev="$1" root="$2" site="$1/site"
  mkdir -p "$site/test/gpu" "$site/test/retc-run/cuda"
  cat > "$site/test/lit.site.cfg.py" <<CFG
import os
config.llvm_tools_dir = "$dev/bin"
config.retc_obj_root = "$site"
config.retc_tools_dir = "$dev/bin"
config.retc_src_root = "$root"
config.python_executable = "$(command -v python3)"
import lit.llvm
lit.llvm.initialize(lit_config, config)
lit_config.load_config(config, "$root/test/lit.cfg.py")
CFG
  echo "$site"
}
device_lit() {
  local dev="$1"
  shift
  PYTHONPATH="$dev" python3 -c 'import sys; from lit.main import main; main()' "$@"
}
