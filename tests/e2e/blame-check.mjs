#!/usr/bin/env node
// blame-check.mjs RULES FILE.tap: every failing point of a fault run
// must be about the rules the fault breaks (RULES: space-separated ids).
// A point is about a rule when its description, its message, its
// wanted or its found names the id; a point that names "a consequence
// of <id>" is about <id>. A failing point that names another rule id,
// or none, is printed as wrongly blamed; exit 1 if there is one.
//
// TODO points count too: a fault's consequence is no known deviation.
import { readFileSync } from "node:fs";

const [rulesArg, file] = process.argv.slice(2);
if (!rulesArg || !file) {
  console.error("usage: blame-check.mjs 'RULE ...' FILE.tap");
  process.exit(2);
}
const rules = rulesArg.split(/\s+/).filter(Boolean);
const ID = /\b[A-Z]{1,2}-[A-Z0-9]+-\d+\b/g;
const lines = readFileSync(file, "utf8").split("\n");

// The subtest points ("    not ok N - desc") with the YAML under them.
const points = [];
let cur = null;
for (const line of lines) {
  const m = line.match(/^( {4,})(not ok|ok) \d+( - (.*))?$/);
  if (m) {
    cur = m[2] === "not ok" ? { desc: m[4] || "", text: m[4] || "" } : null;
    if (cur) points.push(cur);
    continue;
  }
  if (cur && /^ {6,}(message|wanted|found):/.test(line)) {
    cur.text += "\n" + line.trim();
  } else if (!/^ {6,}/.test(line)) {
    cur = null;
  }
}

let bad = 0;
for (const p of points) {
  const cons = [...p.text.matchAll(/a consequence of ([A-Z]{1,2}-[A-Z0-9]+-\d+)/g)]
    .map((m) => m[1]);
  const named = cons.length ? cons : (p.text.match(ID) || []);
  const ok = named.length > 0 && named.every((id) => rules.includes(id));
  if (!ok) {
    bad++;
    const why = named.length ? `blames ${[...new Set(named)].join(" ")}`
                             : "names no rule";
    console.log(`wrong blame (${why}): ${p.desc} | ${p.text.split("\n").slice(1).join(" | ")}`);
  }
}
console.log(`${points.length} failing point(s), ${bad} wrongly blamed ` +
            `(fault rules: ${rules.join(" ")})`);
process.exit(bad ? 1 : 0);
