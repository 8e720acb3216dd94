#!/usr/bin/env node
// siptap remote-UAS agent for SIP.js in Chromium: the protocol and the
// checks of ../agent.mjs (its Connection), with each test's UserAgent in
// a tab of one headless Debian chromium (puppeteer-core), served from
// http://127.0.0.1 (page.mjs, bundled by esbuild at start). SIP.js talks
// SIP over its own WebSocket transport: to siptap's ws/wss listener
// (start's sip.url, `siptap run --transport ws`) or to a WebSocket edge
// (--edge ws://..., `siptap run --proxy`). See docs/browser.md.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import puppeteer from "puppeteer-core";
import { AgentError, Connection, describe, setVerbose } from "../agent.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const SIPJS_VERSION = createRequire(import.meta.url)("sip.js/package.json").version;
const CHROMIUMS = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"];
const STOP_WAIT_MS = 1000;
const SAMPLE_MS = 1000;

const USAGE = `usage: node browser/agent.mjs [--control 127.0.0.1:PORT] [--edge ws://127.0.0.1:PORT]
                              [--chromium PATH] [--trust-cert PEM] [--defaults]
                              [--no-wire] [--verbose]
                              [--fault page-error:TEXT|browser-crash:TEXT|stall:TEXT|slow-sdp:TEXT]
       node browser/agent.mjs --help

siptap's remote-UAS agent for SIP.js ${SIPJS_VERSION} in Chromium. Listens for
control connections on 127.0.0.1:PORT (0 = any free port), prints
"control 127.0.0.1:PORT" first on stdout; logs and, at the end, the
figures (browser start, per-test start, memory) go to stderr. One
Chromium for the run (a new one if it dies), one tab and UserAgent a test.

options:
  --control ADDR:PORT  where to listen (127.0.0.1 only; default 127.0.0.1:0)
  --edge URL           edge mode: every UserAgent registers at this
                       WebSocket edge (ws:// or wss:// on 127.0.0.1 or
                       [::1]) and siptap calls it through its --proxy.
                       Without it the UserAgent connects to start's
                       sip.url (siptap --transport ws|wss)
  --no-wire            edge mode: do not report what went over the page's
                       WebSocket (siptap then cannot tell the UAS's doing
                       from the edge's, and says so)
  --chromium PATH      the browser (default: Debian's chromium)
  --trust-cert PEM     Chromium accepts this certificate (its public key:
                       --ignore-certificate-errors-spki-list) for wss://,
                       e.g. siptap's --tls-cert; no other is let through
  --defaults           SIP.js's own automatic 180 (as ../agent.mjs)
  --math-random X      a probe (as ../agent.mjs): Math.random() in each
                       test's page always returns X (0 <= X < 1), e.g. 0
                       for SIP.js's first RSeq of 0 (1 call in 10000)
  --verbose            log control traffic and the pages' console
  --fault KIND:TEXT    a probe for the tests whose name contains TEXT:
                       page-error (an exception nobody catches, once the
                       INVITE is in), browser-crash (Chromium killed then)
                       stall (the page's main thread busy for 800 ms from
                       50 ms after its first 18x: a starved renderer) or
                       slow-sdp (the tab's RTCPeerConnection takes 6 s
                       more to make each offer and answer)
  -h, --help           this text
`;

let verbose = false;
let sipjsDefaults = false;
let mathRandom; // --math-random: the page's Math.random() returns it
let edge;            // --edge: the WebSocket edge's URL
let wireReports = true;
let chromiumPath;
const trustedKeys = []; // --trust-cert: base64 SHA-256 of each SPKI
const faults = [];   // {kind, text}
const debug = (...args) => verbose && console.error("sipjs-browser:", ...args);

function usageError(message) {
  process.stderr.write(`sipjs-browser: ${message} (see --help)\n`);
  process.exit(2);
}

// ws:// or wss:// on loopback: siptap and its peers talk to nothing else
function loopbackWs(url) {
  const m = /^(wss?):\/\/(127\.0\.0\.1|\[::1\]):(\d{1,5})(\/[^\s]*)?$/.exec(String(url));
  return m && Number(m[3]) > 0 && Number(m[3]) < 65536 ? { transport: m[1], url: String(url) } : undefined;
}

// --- figures -------------------------------------------------------------

const figures = { launches: [], starts: [], peakRssKiB: 0, tests: 0 };

// The resident memory of a process and all its descendants, in KiB.
function treeRssKiB(root) {
  const children = new Map();
  const rss = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const statm = fs.readFileSync(`/proc/${name}/statm`, "utf8").split(" ");
      rss.set(Number(name), (Number(statm[1]) * 4096) / 1024);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  let sum = 0;
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop();
    sum += rss.get(pid) || 0;
    todo.push(...(children.get(pid) || []));
  }
  return sum;
}

function printFigures() {
  const stat = (list) => list.length === 0 ? "none" : `${list.length}, mean ${Math.round(list.reduce((a, b) => a + b, 0) / list.length)} ms, max ${Math.round(Math.max(...list))} ms`;
  process.stderr.write(`sipjs-browser: figures: browser starts ${stat(figures.launches)}; tests ${figures.tests}, ` +
    `tab+UserAgent+REGISTER ${stat(figures.starts)}; peak memory (Chromium, all processes) ${Math.round(figures.peakRssKiB / 1024)} MiB\n`);
}

// --- the page, served from http://127.0.0.1 (a secure context) ----------

async function pageServer() {
  const built = await esbuild.build({
    entryPoints: [path.join(here, "page.mjs")], bundle: true, write: false,
    format: "iife", platform: "browser", target: "chrome110", logLevel: "error",
  });
  const bundle = built.outputFiles[0].text;
  const index = "<!doctype html><meta charset=utf-8><title>siptap: SIP.js in Chromium</title><script src=/page.js></script>\n";
  const server = http.createServer((req, res) => {
    const body = req.url === "/" ? index : req.url === "/page.js" ? bundle : undefined;
    if (req.url === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": req.url === "/" ? "text/html" : "text/javascript", "cache-control": "no-store" });
    res.end(body);
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${server.address().port}/`;
}

// --- the browser: one for the run, a new one when it is gone -------------

let browserPromise;
let userDataDir;
const live = new Set(); // connections with a page

function getBrowser() {
  if (browserPromise) return browserPromise;
  const t0 = performance.now();
  const launching = puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    userDataDir,
    pipe: true,
    args: ["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      "--disable-gpu", "--no-first-run", "--mute-audio", "--disable-background-networking",
      "--disable-component-update", "--disable-extensions",
      // puppeteer passes these too; said here because the timings
      // depend on them: the spare and the tests' tabs are hidden tabs,
      // whose timers Chromium would otherwise throttle (a page reports
      // its lateness all the same: `late`)
      "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
      ...(trustedKeys.length ? [`--ignore-certificate-errors-spki-list=${trustedKeys.join(",")}`] : [])],
  }).then((browser) => {
    figures.launches.push(performance.now() - t0);
    debug("browser started, pid", browser.process()?.pid);
    browser.on("disconnected", () => {
      if (browserPromise === launching) browserPromise = undefined;
      spares.length = 0;
      for (const c of live) if (c.browser === browser) c.pageFailed("Chromium is gone (crashed or killed); the next test starts a new one");
    });
    return browser;
  });
  browserPromise = launching;
  launching.catch(() => { if (browserPromise === launching) browserPromise = undefined; });
  return launching;
}

let chromiumName = "Chromium";
const ANSWER_MS_MIN = 15000;
const ANSWER_MS_MAX = 30000;
let pageUrl;

// Tabs with the page loaded, ready for the next tests: opening one costs
// about a second on a busy machine, which a test should not wait for.
const SPARE_TABS = 2;
const spares = []; // promises of slots {page, browser, owner}

// A tab of browser with the page in it; what the page says goes to the
// slot's owner (the test's connection), once one has taken it.
async function makeSlot(browser) {
  const slot = { page: await browser.newPage(), browser, owner: undefined };
  const page = slot.page;
  page.on("pageerror", (error) => slot.owner?.pageFailed(`page error: ${error.stack || describe(error)}`));
  page.on("error", (error) => slot.owner?.pageFailed(`the tab crashed: ${error.message}`));
  page.on("console", (msg) => debug(slot.owner?.tag ?? "spare", "console:", msg.text()));
  await page.exposeFunction("siptapNotify", (method, p) => slot.owner?.fromPage(method, p));
  await page.exposeFunction("siptapModify", (call, handle, type, sdp) => slot.owner
    ? slot.owner.modify(call, handle, type, sdp) : Promise.reject(new Error("no test owns this tab")));
  await page.goto(pageUrl);
  return slot;
}

function refill(browser) {
  while (spares.length < SPARE_TABS) {
    const made = makeSlot(browser);
    made.catch((error) => debug("spare tab:", error.message));
    spares.push(made);
  }
}

// A ready tab of the live browser for a test: a spare, else a new one.
async function takeSlot() {
  const browser = await getBrowser();
  let slot;
  while (!slot && spares.length) {
    const spare = await spares.shift().catch(() => undefined);
    if (spare && spare.browser === browser && !spare.page.isClosed()) slot = spare;
  }
  refill(browser);
  return slot || makeSlot(browser);
}

// --- one control connection = one test = one tab -------------------------

class BrowserConnection extends Connection {
  constructor(socket) {
    super(socket);
    this.page = undefined;
    this.browser = undefined;
    this.failure = undefined;
    this.direct = false;
    this.test = "";
  }

  // Where the UserAgent connects: siptap's own listener (sip.url) or the
  // edge; edge mode is for runs through a proxy (sip is siptap's UAC).
  target(sip) {
    if (edge) return { server: edge.url, transport: edge.transport };
    const ws = sip && typeof sip === "object" ? loopbackWs(sip.url) : undefined;
    if (!ws || !["ws", "wss"].includes(String(sip.transport).toLowerCase())) {
      throw new AgentError(-32602, "start: SIP.js in a browser speaks SIP over WebSocket only: run siptap with " +
        "--transport ws|wss (params.sip {transport, url}), or this agent with --edge URL and siptap with --proxy");
    }
    this.direct = true;
    return { server: ws.url, transport: ws.transport };
  }

  async start(params) {
    if (this.page || this.starting) throw new AgentError(-32600, "start: already started");
    this.starting = true;
    this.test = String(params.test || "");
    const { server, transport } = this.target(params.sip);
    const t0 = performance.now();
    const slot = await takeSlot();
    slot.owner = this;
    this.page = slot.page;
    this.browser = slot.browser;
    live.add(this);
    if (this.closed) throw new Error("control connection closed during start");
    const t1 = performance.now();
    const user = `sipjs${process.pid}t${this.tag.slice(1)}`;
    const started = await this.pageCall((o) => window.siptap.start(o),
      { server, user, defaults: sipjsDefaults, config: this.config, mathRandom });
    figures.starts.push(performance.now() - t0);
    debug(this.tag, `start: tab ${Math.round(t1 - t0)} ms, UserAgent+REGISTER ${Math.round(performance.now() - t1)} ms`);
    figures.tests++;
    this.started = true;
    // answer_ms: Chromium makes SIP.js's SDP (an offer with video the
    // slowest), seconds on a busy machine; this test's start (tab,
    // UserAgent, REGISTER) gauges how busy it is now, so siptap's
    // default wait for a response to the INVITE grows to 3 times that,
    // at least ANSWER_MS_MIN (docs/browser.md)
    const answerMs = Math.min(ANSWER_MS_MAX, Math.max(ANSWER_MS_MIN, Math.round(3 * (performance.now() - t0))));
    return { transport, uri: started.uri, t1: started.t1, offers: "webrtc", answer_ms: answerMs,
      agent: `SIP.js ${SIPJS_VERSION} in ${chromiumName}` };
  }

  // A modifier of the scenario's, which siptap runs (the page asks).
  modify(call, handle, type, sdp) {
    return this.modifier(this.call({ call }), handle)({ type, sdp }).then((d) => d.sdp);
  }

  // The page's own calls, their errors as JSON-RPC errors of SIP.js (the
  // thing under test), or the page's failure if it failed first.
  async pageCall(fn, arg) {
    if (this.failure) throw new Error(this.failure);
    try {
      return await this.page.evaluate(fn, arg);
    } catch (error) {
      if (this.failure) throw new Error(this.failure);
      // puppeteer's message is the page's: "TypeError: ..."
      throw new Error(String(error.message).replace(/^Error: /, ""));
    }
  }

  async configure(params) {
    const result = super.configure(params); // checks it; kept for start
    if (this.started) await this.pageCall((p) => window.siptap.configure(p), params);
    return result;
  }

  invoke(method, params) {
    this.call(params);
    return this.pageCall(([m, p]) => window.siptap.invoke(m, p), [method, params]);
  }

  // bye/info/reinvite: SIP.js's Session in the page (invitation.mjs)
  sessionRequest(method, params) {
    this.call(params);
    return this.pageCall(([m, p]) => window.siptap.sessionRequest(m, p), [method, params]);
  }

  // What the page tells: an INVITE, SIP.js's warnings, what went over
  // its WebSocket (to siptap in edge mode only: directly, siptap's own
  // socket has it).
  fromPage(method, params) {
    if (this.closed) return;
    if (method === "invite") {
      this.calls.set(params.call, { number: params.call, callId: params.callId, onSent: new Set() });
      this.notify("invite", params);
      this.probe();
    } else if (method === "log") {
      this.log(params.level, params.message);
    } else if (method === "late") {
      this.notify("late", params);
    } else if (method === "wire") {
      debug(this.tag, "page's WebSocket", params.dir, JSON.stringify(String(params.data).split("\r\n", 1)[0]));
      if (!this.direct && wireReports) this.notify("wire", params);
    }
  }

  // --fault: break this test's page or the browser on purpose
  probe() {
    const fault = faults.find((f) => this.test.includes(f.text));
    if (!fault || this.calls.size !== 1) return;
    debug(this.tag, "probe", fault.kind);
    if (fault.kind === "page-error") this.page.evaluate(() => window.siptap.fault()).catch(() => {});
    else if (fault.kind === "stall") this.page.evaluate(() => window.siptap.stall(800)).catch(() => {});
    else if (fault.kind === "slow-sdp") this.page.evaluate(() => window.siptap.slowSdp(6000)).catch(() => {});
    else this.browser.process()?.kill("SIGKILL");
  }

  // The page or the browser failed: siptap is told once (a `failed`
  // notification: one failing point with the JS error and its stack),
  // and every later call of this test gets the same error.
  pageFailed(text) {
    if (this.failure || this.closed) return;
    this.failure = text;
    debug(this.tag, text);
    this.notify("failed", { message: text });
  }

  close() {
    const wasClosed = this.closed;
    super.close();
    if (wasClosed || !this.page) return Promise.resolve();
    live.delete(this);
    const page = this.page;
    // SIP.js's stop() answers open INVITEs (480) and unregisters
    const stop = this.failure ? Promise.resolve() : Promise.race([
      page.evaluate(() => window.siptap.stop()).catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS)),
    ]);
    return stop.then(() => page.close()).catch((error) => debug(this.tag, "page close:", error.message));
  }
}

// --- command line and main -----------------------------------------------

function parseArgs(argv) {
  let control = "127.0.0.1:0";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) usageError(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg === "--verbose") {
      verbose = true;
      setVerbose(true);
    } else if (arg === "--defaults") {
      sipjsDefaults = true;
    } else if (arg === "--math-random") {
      mathRandom = Number(value());
      if (!(mathRandom >= 0 && mathRandom < 1)) usageError("--math-random wants a number in [0, 1)");
    } else if (arg === "--control") {
      control = value();
    } else if (arg === "--edge") {
      const url = value();
      edge = loopbackWs(url);
      if (!edge) usageError(`--edge wants ws:// or wss:// on 127.0.0.1 or [::1] with a port, not ${url}`);
    } else if (arg === "--no-wire") {
      wireReports = false;
    } else if (arg === "--trust-cert") {
      const file = value();
      try {
        const pem = fs.readFileSync(file, "utf8").match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/);
        const spki = new crypto.X509Certificate(pem[0]).publicKey.export({ type: "spki", format: "der" });
        trustedKeys.push(crypto.createHash("sha256").update(spki).digest("base64"));
      } catch (error) {
        usageError(`--trust-cert ${file}: no certificate read (${error.message})`);
      }
    } else if (arg === "--chromium") {
      chromiumPath = value();
    } else if (arg === "--fault") {
      const spec = value();
      const m = /^(page-error|browser-crash|stall|slow-sdp):(.+)$/.exec(spec);
      if (!m) usageError(`--fault wants page-error:TEXT, browser-crash:TEXT, stall:TEXT or slow-sdp:TEXT, not ${spec}`);
      faults.push({ kind: m[1], text: m[2] });
    } else {
      usageError(`unknown argument: ${arg}`);
    }
  }
  const match = /^(127\.0\.0\.1):(\d{1,5})$/.exec(control);
  if (!match || Number(match[2]) > 65535) usageError(`--control wants 127.0.0.1:PORT, not ${control}`);
  return { host: match[1], port: Number(match[2]) };
}

function findChromium() {
  const found = chromiumPath ? [chromiumPath] : CHROMIUMS;
  const usable = found.find((p) => { try { fs.accessSync(p, fs.constants.X_OK); return true; } catch { return false; } });
  if (!usable) {
    process.stderr.write(`sipjs-browser: no Chromium at ${found.join(", ")}; install Debian's: apt-get install -y chromium\n`);
    process.exit(2);
  }
  return usable;
}

async function main() {
  const { host, port } = parseArgs(process.argv.slice(2));
  chromiumPath = findChromium();
  process.on("uncaughtException", (error) => console.error("sipjs-browser: uncaught:", error));
  process.on("unhandledRejection", (error) => console.error("sipjs-browser: unhandled rejection:", error));
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "siptap-chromium-"));
  // the profile goes however the agent ends (a stop that took too long too)
  process.on("exit", () => fs.rmSync(userDataDir, { recursive: true, force: true }));
  pageUrl = await pageServer();
  // the browser starts now, not with the first test; its name is in
  // every start answer
  try {
    const browser = await getBrowser();
    chromiumName = (await browser.version()).replace(/^(?:Headless)?Chrome\//, "Chromium ");
    refill(browser);
  } catch (error) {
    process.stderr.write(`sipjs-browser: ${chromiumPath} did not start: ${error.message}\n`);
    process.exit(2);
  }
  const sample = async () => {
    const browser = await browserPromise?.catch(() => undefined);
    const pid = browser?.process()?.pid;
    if (pid) figures.peakRssKiB = Math.max(figures.peakRssKiB, treeRssKiB(pid));
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);

  const server = net.createServer((socket) => new BrowserConnection(socket));
  server.on("error", (error) => {
    console.error(`sipjs-browser: control ${host}:${port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => process.stdout.write(`control ${host}:${server.address().port}\n`));

  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    debug("stopping on", signal);
    clearInterval(sampler);
    server.close();
    setTimeout(() => {
      printFigures();
      process.exit(0);
    }, 3000).unref();
    await Promise.allSettled([...live].map((c) => c.close()));
    const browser = await browserPromise?.catch(() => undefined);
    await browser?.close().catch(() => {});
    printFigures();
    process.exit(0);
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main();
