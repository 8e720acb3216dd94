#!/usr/bin/env bash
# The floors of src/, checked from the sources: every #include "X.h" of a
# src/ header comes from the file's own floor or one below it, and the
# Lua floor's runner (runner.c, sandbox.c) includes none of the Lua
# objects (l_*.h, bindings.h) it must not call. CMake enforces the first
# part too (a floor's library sees only its own headers and those below);
# this says which include is wrong, and runs without a build.
#   usage: tests/layers/check.sh [SRC-DIR]   (default: src next to tests/)
set -euo pipefail
src="${1:-$(dirname "${BASH_SOURCE[0]}")/../../src}"
floors=(base sip lua report cli)     # bottom to top

declare -A floor_of                 # header name -> floor number
for i in "${!floors[@]}"; do
  for h in "$src/${floors[$i]}"/*.h; do
    [[ -e $h ]] || continue
    name=$(basename "$h")
    if [[ -n ${floor_of[$name]:-} ]]; then
      echo "layers: $name is in two floors"; exit 1
    fi
    floor_of[$name]=$i
  done
done

bad=0
checked=0
for i in "${!floors[@]}"; do
  for f in "$src/${floors[$i]}"/*.[ch]; do
    [[ -e $f ]] || continue
    while IFS=: read -r line inc; do
      inc=${inc#*\"}; inc=${inc%\"*}
      checked=$((checked + 1))
      j=${floor_of[$inc]:-}
      if [[ -z $j ]]; then
        echo "layers: ${f#"$src"/}:$line: \"$inc\" is no header of src/"
        bad=$((bad + 1))
      elif ((j > i)); then
        echo "layers: ${f#"$src"/}:$line: includes $inc from ${floors[$j]}/, a floor above ${floors[$i]}/"
        bad=$((bad + 1))
      fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | cut -d: -f1,2)
  done
done

for f in "$src"/lua/runner.c "$src"/lua/runner.h "$src"/lua/sandbox.[ch]; do
  [[ -e $f ]] || continue
  while IFS=: read -r line inc; do
    inc=${inc#*\"}; inc=${inc%\"*}
    echo "layers: ${f#"$src"/}:$line: the runner includes a Lua object ($inc); they are handed to it (bindings.c)"
    bad=$((bad + 1))
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(l_[a-z_]*|bindings)\.h"' "$f" | cut -d: -f1,2)
done

if ((bad)); then
  echo "layers: $bad includes against the floors (of $checked)"
  exit 1
fi
echo "layers: $checked includes, none goes up a floor"
