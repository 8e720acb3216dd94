#!/usr/bin/env bash
# Writes dist/siptap.1 from `siptap --help`, so the man page says what
# the binary does: tools/manpage.sh build/siptap > dist/siptap.1
# (the docs-stale ctest test compares the two).
set -euo pipefail
bin="${1:?usage: tools/manpage.sh PATH/TO/siptap}"
version=$("$bin" --version | sed -n '1s/^siptap \([^ ]*\).*/\1/p')
help=$("$bin" --help)

esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/" -e 's/-/\\-/g'; }

cat <<EOF2
.TH SIPTAP 1 "" "siptap $version" "User Commands"
.SH NAME
siptap \- SIP conformance test harness: Lua scenarios, TAP results
.SH SYNOPSIS
.nf
$(printf '%s\n' "$help" | sed -n '/^usage:/,/^$/p' | sed -e 's/^usage: //' -e 's/^       //' | sed '/^$/d' | esc)
.fi
.SH DESCRIPTION
$(printf '%s\n' "$help" | sed -n '/^Runs SIP/,/^$/p' | sed '/^$/d' | esc)
.SH COMMANDS AND OPTIONS
.nf
$(printf '%s\n' "$help" | sed -n '/^commands:/,$p' | esc)
.fi
.SH FILES
.TP
.I PREFIX/share/siptap/lua
the Lua library scenarios require (siptap \-\-version names the one used)
.TP
.I PREFIX/share/siptap/scenarios
the suite, run when the working folder has no scenarios/
.SH SEE ALSO
The documentation in the source tree: README.md and docs/ (docs/index.md).
EOF2
