#!/usr/bin/env bash
# A newcomer's install: `cmake --install` into a temporary prefix puts
# bin/siptap, the Lua library, the scenarios, the man page and the bash
# completion there; the prefix still works once moved (the binary finds
# its library relative to itself; --lua-dir overrides), and the whole
# installed suite runs from an empty folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_install "$@"

builddir="$(dirname "$SIPTAP")"
if cmake --install "$builddir" --prefix "$TMP/p" >"$TMP/install.log" 2>&1; then
  pass "cmake --install --prefix $TMP/p"
else
  fail "cmake --install"; show "$TMP/install.log"; e2e_finish; exit 1
fi
for f in bin/siptap share/siptap/lua/siptap/rules.lua share/siptap/scenarios/flows/cancel.lua \
  share/man/man1/siptap.1 share/bash-completion/completions/siptap; do
  [[ -s "$TMP/p/$f" ]] && pass "installed: $f" || fail "not installed: $f"
done

# moved elsewhere, run from an empty folder: nothing of the source tree
mv "$TMP/p" "$TMP/moved"
mkdir "$TMP/work"
cd "$TMP/work"
bin="$TMP/moved/bin/siptap"
lib=$("$bin" --version | sed -n 's/^Lua library: //p')
[[ "$(cd "$lib" && pwd -P)" == "$(cd "$TMP/moved/share/siptap/lua" && pwd -P)" ]] &&
  pass "the moved binary finds its Lua library beside itself ($lib)" ||
  fail "Lua library: '$lib'"
rc=0
"$bin" run --lua-dir "$TMP/nowhere" >/dev/null 2>"$TMP/err" || rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--lua-dir $TMP/nowhere: not the siptap Lua library" "$TMP/err" &&
  pass "--lua-dir overrides the installed library (a wrong one is refused)" ||
  { fail "--lua-dir: exit $rc"; show "$TMP/err"; }

want=$(cd "$ROOT" && "$SIPTAP" list scenarios | wc -l)
rc=0
timeout --kill-after=10 "$E2E_TIMEOUT" "$bin" run --t1 50 --report-dir reports \
  >"$TMP/suite.tap" 2>"$TMP/suite.err" </dev/null || rc=$?
got=$(grep -cE '^(not )?ok [0-9]+ ' "$TMP/suite.tap" || true)
if [[ $rc -eq 0 && $got -eq $want && -s reports/junit.xml ]]; then
  pass "the installed suite runs from an empty folder: $got tests pass, reports in ./reports"
else
  fail "installed suite: exit $rc, $got of $want tests"; show "$TMP/suite.err"
  grep -E '^not ok' "$TMP/suite.tap" | head -5
fi

# the man page renders; the completion completes
if man -l "$TMP/moved/share/man/man1/siptap.1" 2>/dev/null | grep -q -- '--rerun-failed'; then
  pass "man -l siptap.1 renders, with the options"
else
  fail "man page"
fi
words=$(bash -c 'source "$1"; COMP_WORDS=("$2" run --uas-fault rseq-z); COMP_CWORD=3; _siptap; echo "${COMPREPLY[*]}"' \
  _ "$TMP/moved/share/bash-completion/completions/siptap" "$bin")
[[ "$words" == "rseq-zero" ]] && pass "bash completion: --uas-fault rseq-z -> rseq-zero" ||
  fail "completion: '$words'"

e2e_finish
