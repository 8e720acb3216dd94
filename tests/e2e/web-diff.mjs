// The SIP.js side of the siptap.web differential test (e2e_web.sh).
//
//   node web-diff.mjs run CORPUS_DIR OUT_DIR [COUNT [SEED]]
//     runs SIP.js 0.21.2's own modifiers (Web.holdModifier, ..., from the
//     pinned package in tests/peers/sipjs) over every CORPUS_DIR/*.sdp and
//     COUNT SDPs generated from SEED (lines the modifiers' patterns look
//     at, and near misses, with CR LF, LF, CR line ends) for every case of
//     CORPUS_DIR/cases.txt; writes OUT_DIR/NAME.N.out (the SDP after case
//     N, or "!error" when SIP.js threw), and for fixtures/web/diff.lua,
//     which does the same with siptap.web: OUT_DIR/corpus/ (every SDP),
//     OUT_DIR/cases.txt and OUT_DIR/manifest.txt (the SDP names).
//   node web-diff.mjs compare DIR_A DIR_B
//     compares every *.out of DIR_A with DIR_B's, byte for byte; prints
//     "same N" or, for each pair that differs (or is missing), its name
//     and the first difference; exits 1 when any differs.
//
// cases.txt: one case a line, "TYPE: STEP | STEP ...", a STEP being a
// modifier's name or "stripRtpPayload(NAME)"; '#' lines are comments.
import {
  readFileSync, writeFileSync, readdirSync, existsSync, mkdirSync, copyFileSync,
} from "node:fs";
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

// A small seeded generator (mulberry32): the same SDPs on every machine.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Lines the modifiers' patterns look at, and near misses of them. Mids
// hold no regular expression syntax: SIP.js puts a mid into a RegExp
// unescaped, siptap.web takes it literally (README).
const POOL = [
  "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
  "m=audio 40000 RTP/AVP 0 8 9 101 110", "m=video 40002 RTP/AVP 96 97 9",
  "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=audio  9 RTP/AVP  0 101", "m=audiox 1 RTP/AVP 0",
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "m=text 9 RTP/AVP 98", "m=",
  "video 1 2 3", "s=m=video in a line", "a=x:m=audio 1", "i=a=mid:x",
  "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:9 G722/8000",
  "a=rtpmap:9 G722/16000", "a=rtpmap:101 telephone-event/8000",
  "a=rtpmap:110 telephone-event/48000", "a=rtpmap:111 opus/48000/2",
  "a=rtpmap:96 VP8/90000", "a=rtpmap:97 rtx/90000", "a=rtpmap:x G722/8000",
  "a=rtpmap:9 G722", "a=rtpmap:98 telephone-event 8000/", "a=fmtp:101 0-16",
  "a=mid:0", "a=mid:1", "a=mid:10", "a=mid:", "a=mid: 1", "a=mid:a", "a=mid:B",
  "a=mid:audio", "a=mid:video", "a=mid:null", "a=mid:a:b", "a=midx",
  "a=group:BUNDLE 0 1", "a=group:BUNDLE audio video 10 1", "a=group:BUNDLE  1 null undefined",
  "a=group:LS 0", "a=group:",
  "a=candidate:1 1 udp 2122260223 127.0.0.1 4000 typ host",
  "a=candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active",
  "a=CANDIDATE:3 2 TcP 1 127.0.0.1 9 typ host", "a=candidate:4 1 tcp  x",
  "a=candidate:x 1 tcp 1 127.0.0.1 9 typ host", "a=candidate:5 1 tcpx 1",
  "a=imageattr:96 recv [x=[0-1280],y=[0-720]]", "a=imageattr:* send y=[0-480] x=[0-640]",
  "a=imageattr:", "a=imageattr:97 recv x=[1:640]", "b=a=imageattr:1 x=[0-1]",
  "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive", "a=sendrecvx", "x=a=recvonly",
  "s=Caf\u00e9", "s=\u2028m=video 1 2 3", "a=x\u2029a=mid:z", "",
];
const ENDS = ["\r\n", "\r\n", "\r\n", "\r\n", "\n", "\r", "\r\r\n"];

function fuzz(seed, count) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const out = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(r() * 24);
    let s = "";
    for (let j = 0; j < n; j++) s += pick(POOL) + (r() < 0.97 || j < n - 1 ? pick(ENDS) : "");
    out.push(s);
  }
  return out;
}

async function run(corpus, out, seed, count) {
  const pkg = JSON.parse(readFileSync(join(sipjs, "package.json"), "utf8"));
  if (pkg.version !== "0.21.2") throw new Error(`sip.js ${pkg.version}, not the pinned 0.21.2`);
  // the package's public entry point, as an application imports it
  const { Web } = await import(pathToFileURL(join(sipjs, pkg.main)).href);
  const cases = readCases(corpus);
  // the SDPs both sides read: the corpus's, and generated ones
  const cdir = join(out, "corpus");
  mkdirSync(cdir, { recursive: true });
  copyFileSync(join(corpus, "cases.txt"), join(out, "cases.txt"));
  const names = readdirSync(corpus).filter((f) => f.endsWith(".sdp")).sort();
  for (const name of names) copyFileSync(join(corpus, name), join(cdir, name));
  for (const [i, text] of fuzz(seed, count).entries()) {
    const name = `fuzz-${String(i + 1).padStart(4, "0")}.sdp`;
    writeFileSync(join(cdir, name), text, "utf8");
    names.push(name);
  }
  let n = 0;
  for (const name of names) {
    // bytes as UTF-8 text: SIP.js works on JavaScript strings
    const sdp = readFileSync(join(cdir, name), "utf8");
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
  console.log(`sip.js ${pkg.version}: ${names.length} SDPs (${count} generated, seed ${seed}) x ` +
    `${cases.length} cases = ${n} outputs`);
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

const [mode, a, b, c, d] = process.argv.slice(2);
if (mode === "run" && a && b) {
  // optional: how many SDPs to generate, and the seed
  await run(a, b, Number(d ?? 1), Number(c ?? 0));
} else if (mode === "compare" && a && b) {
  process.exitCode = compare(a, b, c) ? 0 : 1;
} else {
  console.error("usage: node web-diff.mjs run CORPUS OUT [COUNT [SEED]] | compare DIR_A DIR_B [CORPUS]");
  process.exitCode = 2;
}
