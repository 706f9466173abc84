#!/usr/bin/env bash
# The README's second command (and CI's): install, build, run every test,
# then fuzz the readers of user bytes for ${FUZZ_TIME:-60} s (0: not at all;
# scripts/fuzz.sh, docs/testing.md "Fuzzing").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
"$root/scripts/build.sh" check-retc
if [ "${FUZZ_TIME:-60}" -gt 0 ]; then
  "$root/scripts/fuzz.sh" --time "${FUZZ_TIME:-60}"
fi
