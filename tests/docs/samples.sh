#!/usr/bin/env bash
# The sample outputs in README.md and docs/*.md are made here, by the
# real binary, so that they cannot go stale: CI (ctest docs_samples)
# fails when one differs from what siptap prints now.
#
#   tests/docs/samples.sh build/siptap            # check, exit 1 if stale
#   tests/docs/samples.sh build/siptap --update   # rewrite the blocks
#
# A sample in a document is a fenced block between two comments:
#
#   <!-- sample: NAME -->
#   ```
#   ...
#   ```
#   <!-- /sample -->
#
# and sample_NAME below prints its text. What changes from run to run
# (times, ports, dates, temporary paths, the notes of a loop running
# late on a busy machine) is normalised by norm().
set -euo pipefail
bin="$(cd "$(dirname "${1:?usage: samples.sh PATH/TO/siptap [--update]}")" && pwd)/$(basename "$1")"
mode="${2:-check}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
unset TAP_VERSION NO_COLOR

# A folder like a user's: build/siptap, the example scenario, reports/
mkdir -p "$tmp/w/build"
ln -s "$bin" "$tmp/w/build/siptap"
cp docs/examples/my-first.lua "$tmp/w/"
ln -s "$root/scenarios" "$tmp/w/scenarios"
ln -s "$root/tests" "$tmp/w/tests"

norm() {
  sed -E -e 's/siptap-[0-9]{8}-[0-9]{6}(-[0-9]+)?\.tap/siptap-YYYYmmdd-HHMMSS.tap/g' \
    -e 's/duration_ms: [0-9]+/duration_ms: 1/' \
    -e 's/time="[0-9]+\.[0-9]+"/time="0.001"/g' \
    -e 's/^siptap [0-9.]+ \(libre [^)]*\)$/siptap VERSION (libre VERSION, Lua VERSION)/' \
    -e '/ ran up to [0-9]+ ms late in this test/d'
}
in_w() { (cd "$tmp/w" && "$@"); }

sample_help() { "$bin" --help; }
sample_first_scenario() { cat docs/examples/my-first.lua; }
sample_first_failure() {
  in_w build/siptap run --uas-fault rseq-zero my-first.lua 2>&1 >/dev/null | norm || true
}
sample_output() {
  in_w build/siptap run scenarios/flows/180-unreliable.lua tests/e2e/fixtures/fails.lua 2>/dev/null | norm || true
}
sample_end_of_run() {
  in_w build/siptap run scenarios/flows/180-unreliable.lua tests/e2e/fixtures/fails.lua 2>&1 >/dev/null | norm || true
}
sample_junit() {
  in_w build/siptap run --t1 50 --report-dir reports/x --uas-fault rseq-zero \
    scenarios/flows/reliable-183.lua >/dev/null 2>&1 || true
  sed -n '1,/<\/failure>/p' "$tmp/w/reports/x/junit.xml" | norm |
    sed -E 's/^( +raw: ).*/\1(the SIP message, cut here)/'
}
sample_list_long() { in_w build/siptap list --long scenarios/flows/reliable-183.lua; }
sample_faults() { "$bin" faults | sed -n 1,8p; }

mkdir "$tmp/samples"
for name in help first_scenario first_failure output end_of_run junit list_long faults; do
  "sample_$name" >"$tmp/samples/$name"
done

# Whole files made from the binary: name, then the command
generated() {
  local file="$1" rc=0
  shift
  "$@" >"$tmp/gen" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "$file: '$*' failed ($rc)"; status=1
  elif ! cmp -s "$tmp/gen" "$file"; then
    if [[ $mode == --update ]]; then
      cp "$tmp/gen" "$file"; echo "$file: rewritten"
    else
      echo "$file: stale, run tests/docs/samples.sh BIN --update"; status=1
    fi
  fi
}
status=0
generated dist/siptap.1 tools/manpage.sh "$bin"
generated docs/rules.md "$bin" rules --markdown

python3 - "$mode" "$tmp/samples" <<'PY'
import glob, re, sys
mode, samples = sys.argv[1], sys.argv[2]
pat = re.compile(r'(<!-- sample: ([a-z_]+) -->\n```[a-z]*\n)(.*?)(```\n<!-- /sample -->)', re.S)
stale = checked = 0
for doc in ['README.md'] + sorted(glob.glob('docs/*.md')):
    text = open(doc).read()
    def repl(m):
        global stale, checked
        checked += 1
        try:
            new = open(f'{samples}/{m.group(2)}').read()
        except FileNotFoundError:
            print(f'{doc}: no sample named {m.group(2)}')
            stale += 1
            return m.group(0)
        if new != m.group(3):
            stale += 1
            print(f'{doc}: sample {m.group(2)} is stale')
        return m.group(1) + new + m.group(4)
    out = pat.sub(repl, text)
    if mode == '--update' and out != text:
        open(doc, 'w').write(out)
print(f'samples: {checked} checked, {stale} stale' + (' (rewritten)' if mode == '--update' and stale else ''))
sys.exit(1 if stale and mode != '--update' else 0)
PY

exit $status
