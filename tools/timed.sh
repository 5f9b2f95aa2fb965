#!/usr/bin/env bash
# Run one stage of `make test` and record its wall time: tools/timed.sh NAME COMMAND [ARGS...]
# Appends "NAME  SECONDS s" to _build/stage-times.txt (make test prints the table at the end).
set -uo pipefail
name=$1
shift
start=$(date +%s)
"$@"
status=$?
mkdir -p _build
printf '%-14s %5d s%s\n' "$name" "$(( $(date +%s) - start ))" "$([ "$status" = 0 ] || echo '  FAILED')" \
  | tee -a _build/stage-times.txt
exit "$status"
