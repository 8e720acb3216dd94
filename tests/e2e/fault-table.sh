#!/usr/bin/env bash
# Proof that the suite's checks can fail: runs the default suite once
# against the healthy reference UAS (everything must pass) and once per
# fault of `siptap faults` (every rule id the fault breaks must show up
# in a failing, non-TODO test point, or in the name of a failing test).
# Writes the table fault | rules | caught | tests that caught it to
# REPORT (markdown) and prints it. Exit 0 when every fault is caught.
#
#   tests/e2e/fault-table.sh build/siptap [REPORT] [SUITE...]
#
# Rule ids from conformance.md and conformance-next.md (the ids being
# added) that no fault breaks are listed too, and count as a failure:
# every rule must be shown to be checkable. EXCLUDED names the ids of
# conformance-next.md that other work owns and that have no checker yet.
set -uo pipefail

SIPTAP="$1"
REPORT="${2:-reports/faults.md}"
shift 2 2>/dev/null || shift $#
SUITE=("$@")
[[ ${#SUITE[@]} -gt 0 ]] || SUITE=(scenarios)
T1="${SIPTAP_FAULT_T1:-50}"

ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The rule book is kept in the repository (docs/), a copy of the
# project's shared one: say so when the two differ, the copy is stale.
SPEC="${SIPTAP_CONFORMANCE:-$ROOT/docs/conformance.md}"
for f in conformance.md conformance-next.md; do
  if [[ -f "$ROOT/../shared/$f" ]] && ! cmp -s "$ROOT/../shared/$f" "$ROOT/docs/$f"; then
    echo "warning: docs/$f differs from ../shared/$f (copy it over)" >&2
  fi
done
SPEC_NEXT="${SIPTAP_CONFORMANCE_NEXT:-$(dirname "$SPEC")/conformance-next.md}"
# Ids of conformance-next.md owned by other work, not checked yet:
# none now (R-PRACK-4, P-BYE-1, P-UPD-1, P-UPD-2 joined with issue 19).
EXCLUDED=()

TMP="$(mktemp -d "${TMPDIR:-/tmp}/siptap-faults.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$(dirname "$REPORT")"

run() { # run OUT [--uas-fault NAME]; OUT.secs: how long it took
  local out="$1" t0=$SECONDS
  shift
  "$SIPTAP" run --t1 "$T1" --jobs "${SIPTAP_FAULT_RUN_JOBS:-8}" --timeout 20 --report-dir "$TMP/reports.${out##*/}" \
    "$@" "${SUITE[@]}" >"$out" 2>"$out.err" </dev/null
  local rc=$?
  echo "$((SECONDS - t0))" >"$out.secs"
  return $rc
}

# Failing lines that count: "not ok", at any depth, and not TODO.
failing() {
  grep -E '^ *not ok ' "$1" | grep -vE '# TODO( |$)'
}

status=0
run "$TMP/healthy.tap"
healthy_rc=$?
if [[ $healthy_rc -ne 0 ]]; then
  echo "FAIL: the suite does not pass against the healthy UAS (exit $healthy_rc):"
  failing "$TMP/healthy.tap" | head -20 | sed 's/^/  /'
  status=1
fi

{
  echo "# Fault table"
  echo
  echo "Each fault breaks the reference UAS on purpose (\`siptap run"
  echo "--uas-fault NAME\`); the suite must catch every rule it breaks."
  echo "T1 $T1 ms; suite: ${SUITE[*]}; healthy run: exit $healthy_rc."
  echo
  echo "| fault | rules | caught | tests that caught it |"
  echo "|---|---|---|---|"
} >"$TMP/table.md"

# The fault runs mostly wait on timers: run a few at once.
JOBS="${SIPTAP_FAULT_JOBS:-4}"
"$SIPTAP" faults | awk '{ n = $1; $1 = ""; print n, $0 }' >"$TMP/faults"
# the longest runs first: a message the UAC cannot read (P-WIRE-1)
# leaves most tests waiting for their response until they give up
{ grep -F P-WIRE-1 "$TMP/faults"; grep -vF P-WIRE-1 "$TMP/faults"; } \
  >"$TMP/order"
while read -r name _; do
  while [[ $(jobs -rp | wc -l) -ge $JOBS ]]; do wait -n; done
  run "$TMP/$name.tap" --uas-fault "$name" &
done <"$TMP/order"
wait

declare -A covered
caught_all=0
total=0
while read -r name rules_text; do
  [[ -n "$name" ]] || continue
  total=$((total + 1))
  rules=$(grep -oE '[PRS]-[A-Z0-9]+-[0-9]+' <<<"$rules_text" | sort -u)
  failing "$TMP/$name.tap" >"$TMP/$name.fail" || true
  missed=()
  caught=()
  for r in $rules; do
    covered[$r]=1
    if grep -qF -- "$r" "$TMP/$name.fail"; then
      caught+=("$r")
    else
      missed+=("$r")
    fi
  done
  # Top-level failing tests that name one of the rules, or hold a failing
  # point that does.
  tests=$(awk -v rules="$rules" '
    BEGIN { n = split(rules, R, /[ \n]+/) }
    /^# Subtest: / { hit = 0; next }
    /^ +not ok / && !/# TODO/ { for (i = 1; i <= n; i++) if (R[i] != "" && index($0, R[i])) hit = 1 }
    /^not ok [0-9]+ - / {
      line = $0; sub(/^not ok [0-9]+ - /, "", line)
      named = 0; for (i = 1; i <= n; i++) if (R[i] != "" && index(line, R[i])) named = 1
      if (hit || named) print line
      hit = 0
    }' "$TMP/$name.tap" | head -3 | paste -sd';' - | sed 's/|/\\|/g')
  if [[ ${#missed[@]} -eq 0 ]]; then
    caught_all=$((caught_all + 1))
    verdict="yes"
  else
    verdict="**no: ${missed[*]}**"
    status=1
  fi
  echo "| $name | $(echo $rules) | $verdict | ${tests:-none} |" >>"$TMP/table.md"
done <"$TMP/faults"

# Every rule id of conformance.md and conformance-next.md needs a fault
# that breaks it, but the excluded ones.
uncovered=()
if [[ -f "$SPEC" ]]; then
  specs=("$SPEC")
  [[ -f "$SPEC_NEXT" ]] && specs+=("$SPEC_NEXT")
  all_ids=$(cat "${specs[@]}" | grep -oE '^\| [PRS]-[A-Z0-9]+-[0-9]+ ' | tr -d '| ' | sort -u)
  ids=0
  for r in $all_ids; do
    [[ " ${EXCLUDED[*]} " == *" $r "* ]] && continue
    ids=$((ids + 1))
    [[ -n "${covered[$r]:-}" ]] || uncovered+=("$r")
  done
  spec_line="Rule ids in ${specs[*]##*/}: $ids checked (excluded, owned elsewhere: ${EXCLUDED[*]}); without a fault: ${uncovered[*]:-none}."
else
  # Outside the project's workspace (a clone of its own): the rule ids
  # of lua/siptap/checkers/ stand in for the rule book's.
  for r in $(cat "$ROOT"/lua/siptap/checkers/*.lua | grep -oE '^rule\("[PRS]-[A-Z0-9]+-[0-9]+"' | grep -oE '[PRS]-[A-Z0-9]+-[0-9]+' | sort -u); do
    [[ -n "${covered[$r]:-}" ]] || uncovered+=("$r")
  done
  spec_line="conformance.md not found at $SPEC; rule ids of lua/siptap/checkers/ without a fault: ${uncovered[*]:-none}."
fi
[[ ${#uncovered[@]} -eq 0 ]] || status=1

{
  echo
  echo "Faults caught: $caught_all of $total."
  echo "$spec_line"
} >>"$TMP/table.md"

cp "$TMP/table.md" "$REPORT"
cat "$REPORT"
# where the time went: the slowest runs (a fault that leaves tests
# waiting for --timeout shows here)
echo "slowest runs (s): $(for f in "$TMP"/*.tap.secs; do
  n=${f##*/}; echo "$(cat "$f") ${n%.tap.secs}"; done | sort -rn | head -5 |
  paste -sd, -)"
exit $status
