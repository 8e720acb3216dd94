// The SIP.js side of the siptap.web differential test (e2e_web.sh).
//
//   node web-diff.mjs run CORPUS_DIR OUT_DIR
//     runs SIP.js 0.21.2's own modifiers (Web.holdModifier, ..., from the
//     pinned package in tests/peers/sipjs) over every CORPUS_DIR/*.sdp for
//     every case of CORPUS_DIR/cases.txt; writes OUT_DIR/NAME.N.out (the
//     SDP after case N, or "!error" when SIP.js threw) and
//     OUT_DIR/manifest.txt (the SDP names, one a line), which
//     fixtures/web/diff.lua reads to do the same with siptap.web.
//   node web-diff.mjs compare DIR_A DIR_B
//     compares every *.out of DIR_A with DIR_B's, byte for byte; prints
//     "same N" or, for each pair that differs (or is missing), its name
//     and the first difference; exits 1 when any differs.
//
// cases.txt: one case a line, "TYPE: STEP | STEP ...", a STEP being a
// modifier's name or "stripRtpPayload(NAME)"; '#' lines are comments.
import { readFileSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sipjs = resolve(here, "../peers/sipjs/node_modules/sip.js");

export function readCases(dir) {
  const cases = [];
  const text = readFileSync(join(dir, "cases.txt"), "utf8");
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(offer|answer): *(.+)$/.exec(line);
    if (!m) throw new Error(`cases.txt:${i + 1}: not "TYPE: STEP | ...": ${line}`);
    const steps = m[2].split("|").map((s) => s.trim());
    cases.push({ n: cases.length + 1, type: m[1], steps, text: line });
  }
  return cases;
}

function modifier(Web, step) {
  const arg = /^stripRtpPayload\((.+)\)$/.exec(step);
  if (arg) return Web.stripRtpPayload(arg[1]);
  const fn = Web[step];
  if (typeof fn !== "function") throw new Error(`cases.txt: no modifier ${step} in SIP.js`);
  return fn;
}

async function run(corpus, out) {
  const pkg = JSON.parse(readFileSync(join(sipjs, "package.json"), "utf8"));
  if (pkg.version !== "0.21.2") throw new Error(`sip.js ${pkg.version}, not the pinned 0.21.2`);
  // the package's public entry point, as an application imports it
  const { Web } = await import(pathToFileURL(join(sipjs, pkg.main)).href);
  const cases = readCases(corpus);
  const names = readdirSync(corpus).filter((f) => f.endsWith(".sdp")).sort();
  let n = 0;
  for (const name of names) {
    // bytes as UTF-8 text: SIP.js works on JavaScript strings
    const sdp = readFileSync(join(corpus, name), "utf8");
    for (const c of cases) {
      let result;
      try {
        let desc = { type: c.type, sdp };
        for (const step of c.steps) desc = await modifier(Web, step)(desc);
        result = desc.sdp;
      } catch (e) {
        // only that it threw: the two sides word their errors apart
        result = "!error";
        console.log(`${name} [${c.text}]: SIP.js threw: ${e.message}`);
      }
      writeFileSync(join(out, `${name}.${c.n}.out`), result, "utf8");
      n++;
    }
  }
  writeFileSync(join(out, "manifest.txt"), names.map((x) => x + "\n").join(""));
  console.log(`sip.js ${pkg.version}: ${names.length} SDPs x ${cases.length} cases = ${n} outputs`);
}

// A line with its bytes shown: CR, LF and other controls escaped.
const shown = (s) => JSON.stringify(s);

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const line = a.subarray(0, i).toString("latin1").split("\n").length;
  const from = Math.max(0, i - 30);
  return `first difference at byte ${i} (line ${line}):\n` +
    `    sip.js:     ${shown(a.subarray(from, i + 30).toString("utf8"))}\n` +
    `    siptap.web: ${shown(b.subarray(from, i + 30).toString("utf8"))}`;
}

function compare(dirA, dirB, corpus) {
  const outs = readdirSync(dirA).filter((f) => f.endsWith(".out")).sort();
  const cases = corpus ? readCases(corpus) : [];
  let bad = 0;
  for (const f of outs) {
    const b = join(dirB, f);
    const label = (() => {
      const m = /^(.*)\.(\d+)\.out$/.exec(f);
      const c = m && cases[Number(m[2]) - 1];
      return c ? `${m[1]} [${c.text}]` : f;
    })();
    if (!existsSync(b)) {
      console.log(`DIFF ${label}: siptap.web wrote no output`);
      bad++;
      continue;
    }
    const x = readFileSync(join(dirA, f));
    const y = readFileSync(b);
    if (!x.equals(y)) {
      console.log(`DIFF ${label}: ${firstDifference(x, y)}`);
      bad++;
    }
  }
  if (outs.length === 0) {
    console.log("DIFF nothing to compare");
    bad++;
  }
  console.log(bad ? `differ ${bad} of ${outs.length}` : `same ${outs.length}`);
  return bad === 0;
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "run" && a && b) {
  await run(a, b);
} else if (mode === "compare" && a && b) {
  process.exitCode = compare(a, b, c) ? 0 : 1;
} else {
  console.error("usage: node web-diff.mjs run CORPUS OUT | compare DIR_A DIR_B [CORPUS]");
  process.exitCode = 2;
}
