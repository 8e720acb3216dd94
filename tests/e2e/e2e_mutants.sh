#!/usr/bin/env bash
# Mutation testing of siptap's verdicts (issue 13): faulty UASes not
# written as siptap's reference UAS (tests/mutants/: SIPp scenarios and
# raw-uas.mjs), each with one deviation, each called by siptap with
# --target and one probe of tests/mutants/probes/probes.lua. For each
# mutant of tests/mutants/mutants.tsv:
#   (a) caught: a failing, non-TODO rule point cites its expected rule id;
#   (b) attributed: no failing rule point cites a rule id outside its
#       expected and also-allowed ids;
# and the controls pass every probe they run. Writes reports/mutants.md
# (MUTANTS_REPORT overrides): per mutant caught / rules blamed /
# attributed, the mutation score (caught / mutants) and the attribution
# score (attributed / caught).
#
#   bash tests/e2e/e2e_mutants.sh build/siptap [MUTANT...]
#
# MUTANT is a name of mutants.tsv (every kind with that name), KIND/NAME
# (sipp/rseq-reuse, raw/rseq-reuse, raw-tcp/control) or a KIND (sipp,
# raw, raw-tcp); none means all. siptap runs with --t1 50, the UASes with the same T1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_mutants "$@"
shift
command -v sipp >/dev/null || e2e_abort "sipp not installed (run .ci/setup)"
MUT="$ROOT/tests/mutants"
PROBES="tests/mutants/probes/probes.lua"
T1=50
REPORT="${MUTANTS_REPORT:-$ROOT/reports/mutants.md}"
want=("$@")
# each run's TAP, kept beside the report for whoever reads it
TAPS="$(dirname "$REPORT")/mutants"
mkdir -p "$TAPS"

uas_pid=""
cleanup() {
  if [[ -n $uas_pid ]]; then kill "$uas_pid" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# selected KIND NAME: whether the command line asked for this mutant
selected() {
  [[ ${#want[@]} -eq 0 ]] && return 0
  local w
  for w in "${want[@]}"; do
    [[ $w == "$2" || $w == "$1/$2" || $w == "$1" ]] && return 0
  done
  return 1
}

# start_uas KIND NAME PORT LOG: starts the UAS, sets uas_pid; waits until
# it listens (1 on failure).
start_uas() {
  local kind="$1" name="$2" port="$3" log="$4"
  case $kind in
  sipp)
    # -T2 8*T1 and retrans="50" in the XML: SIPp's timers at T1 50 ms;
    # its control socket on loopback (the default 0.0.0.0:8888 quits on
    # any datagram starting with "q")
    sipp -sf "$MUT/sipp/$name.xml" -i 127.0.0.1 -p "$port" -m 1 \
      -timeout 30s -T2 $((8 * T1)) -ci 127.0.0.1 -cp "$(free_port)" \
      -nostdin -trace_err -error_file "$log.err" >"$log" 2>&1 </dev/null &
    uas_pid=$!
    ;;
  raw | raw-tcp)
    local tp=udp
    [[ $kind == raw-tcp ]] && tp=tcp
    node "$MUT/raw-uas.mjs" "$name" "$port" "$T1" "$tp" >"$log" 2>&1 </dev/null &
    uas_pid=$!
    ;;
  *) return 1 ;;
  esac
  for _ in $(seq 1 100); do
    if [[ $kind == raw-tcp ]]; then
      ss -Hlnt "sport = :$port" | grep -q . && return 0
    else
      ss -Hlnu "sport = :$port" | grep -q . && return 0
    fi
    kill -0 "$uas_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

stop_uas() {
  kill "$uas_pid" 2>/dev/null || true
  wait "$uas_pid" 2>/dev/null || true
  uas_pid=""
}

# failing_rules TAP: the rule ids of the failing, non-TODO points, one a
# line, sorted, unique. Rule points read "not ok N - P-COPY-1 title ...".
failing_rules() {
  grep -E '^ *not ok [0-9]+ - [A-Z]{1,2}-[A-Z0-9]+-[0-9]+ ' "$1" |
    grep -v '# TODO' |
    sed -E 's/^ *not ok [0-9]+ - ([A-Z]{1,2}-[A-Z0-9]+-[0-9]+) .*/\1/' |
    sort -u || true
}

# in_list ID LIST: whether ID is one of the comma-separated LIST ("-": none)
in_list() {
  [[ $2 != - && ",$2," == *",$1,"* ]]
}

all_probes=$("$SIPTAP" list "$PROBES" | sed -nE 's/^probe ([a-z0-9-]+):.*/\1/p')
[[ -n $all_probes ]] || e2e_abort "siptap list $PROBES: no probe"
rows="$TMP/rows"
: >"$rows"
n_mut=0 n_caught=0 n_attr=0 n_ctl=0 n_ctl_ok=0

# run_one KIND NAME PROBE EXPECTED ALLOWED WHAT
run_one() {
  local kind="$1" name="$2" probe="$3" expected="$4" allowed="$5" what="$6"
  local id="$kind-$name-$probe" port tap err log args blamed
  if ! grep -qx -- "$probe" <<<"$all_probes"; then
    fail "$kind/$name: mutants.tsv names probe '$probe', which $PROBES lacks"
    return
  fi
  port=$(free_port) || e2e_abort "no free port"
  tap="$TMP/$id.tap" err="$TMP/$id.err" log="$TMP/$id.uas"
  if ! start_uas "$kind" "$name" "$port" "$log"; then
    fail "$kind/$name: the UAS did not start"
    show "$log" "$kind/$name"
    stop_uas
    return
  fi
  args=(run --t1 "$T1" --target "127.0.0.1:$port" --report-dir "$TMP/r/$id"
    --filter "probe $probe:")
  [[ $kind == raw-tcp ]] && args+=(--transport tcp)
  args+=("$PROBES")
  siptap_run "$tap" "$err" "${args[@]}"
  stop_uas
  cp "$tap" "$TAPS/$id.tap"
  blamed=$(failing_rules "$tap" | paste -sd, -)
  if [[ $rc -ne 0 && $rc -ne 1 ]]; then
    fail "$kind/$name ($probe): siptap exit $rc"
    show "$err" stderr
    printf '| %s/%s | %s | %s | error (exit %s) | | |\n' "$kind" "$name" \
      "$probe" "${expected/-/(none: control)}" "$rc" >>"$rows"
    [[ $expected == - ]] && n_ctl=$((n_ctl + 1)) || n_mut=$((n_mut + 1))
    return
  fi
  if [[ $expected == - ]]; then
    # a control: every point of the probe passes
    n_ctl=$((n_ctl + 1))
    if [[ $rc -eq 0 ]] && ! grep -qE '^ *not ok ' "$tap"; then
      n_ctl_ok=$((n_ctl_ok + 1))
      pass "$kind/$name passes probe $probe"
      printf '| %s/%s (control) | %s | none | passes | | yes |\n' "$kind" \
        "$name" "$probe" >>"$rows"
    else
      fail "$kind/$name (control) fails probe $probe"
      grep -E '^ *not ok ' "$tap" | grep -v '# TODO' | head -5 | sed 's/^/  /' || true
      printf '| %s/%s (control) | %s | none | FAILS | %s | no |\n' "$kind" \
        "$name" "$probe" "${blamed:-(no rule)}" >>"$rows"
    fi
    return
  fi
  n_mut=$((n_mut + 1))
  local caught=no attributed=no r stray=""
  in_list "$expected" "$blamed" && caught=yes
  for r in ${blamed//,/ }; do
    [[ $r == "$expected" ]] || in_list "$r" "$allowed" || stray+="$r,"
  done
  if [[ $caught == yes ]]; then
    n_caught=$((n_caught + 1))
    pass "$kind/$name ($probe): caught under $expected"
    if [[ -z $stray ]]; then
      attributed=yes
      n_attr=$((n_attr + 1))
      pass "$kind/$name: no other rule blamed"
    else
      fail "$kind/$name: also blamed ${stray%,} (allowed: $allowed)"
    fi
  else
    fail "$kind/$name ($probe): not caught under $expected; blamed: ${blamed:-nothing} ($what)"
  fi
  if [[ $caught == no || -n $stray ]]; then
    grep -E '^ *not ok ' "$tap" | grep -v '# TODO' | head -8 | sed 's/^/  /' || true
  fi
  printf '| %s/%s | %s | %s | %s | %s | %s |\n' "$kind" "$name" "$probe" \
    "$expected" "$caught" "${blamed:-none}" \
    "$([[ $caught == yes ]] && echo "$attributed" || echo -)" >>"$rows"
}

started=$SECONDS
while IFS=$'\t' read -r name kind probe expected allowed what; do
  [[ -z $name || $name == \#* ]] && continue
  selected "$kind" "$name" || continue
  if [[ $probe == '*' ]]; then
    for p in $all_probes; do
      run_one "$kind" "$name" "$p" "$expected" "$allowed" "$what"
    done
  else
    run_one "$kind" "$name" "$probe" "$expected" "$allowed" "$what"
  fi
done <"$MUT/mutants.tsv"

pct() { [[ $2 -gt 0 ]] && echo "$((100 * $1 / $2)) %" || echo "n/a"; }
mkdir -p "$(dirname "$REPORT")"
{
  echo "# Mutants: siptap's verdicts on faulty UASes"
  echo
  echo "From \`tests/e2e/e2e_mutants.sh\` ($(date -u '+%Y-%m-%d %H:%M UTC')," \
    "siptap --t1 $T1, $((SECONDS - started)) s). The mutants and their probes:" \
    "\`tests/mutants/mutants.tsv\`."
  echo
  echo "- Mutation score: $n_caught / $n_mut caught ($(pct "$n_caught" "$n_mut"))"
  echo "- Attribution score: $n_attr / $n_caught correctly attributed" \
    "($(pct "$n_attr" "$n_caught"))"
  echo "- Controls: $n_ctl_ok / $n_ctl probes passed"
  echo "- Each run's TAP: \`${TAPS#"$ROOT"/}/KIND-NAME-PROBE.tap\`"
  echo
  echo "| mutant | probe | expected rule | caught | rules blamed | correctly attributed |"
  echo "|--------|-------|---------------|--------|--------------|----------------------|"
  cat "$rows"
} >"$REPORT"
echo "# mutation score $n_caught/$n_mut, attribution $n_attr/$n_caught," \
  "controls $n_ctl_ok/$n_ctl ($((SECONDS - started)) s); $REPORT"
[[ $((n_mut + n_ctl)) -gt 0 ]] || fail "no mutant matched: ${want[*]}"
e2e_finish
