#!/usr/bin/env node
// A quick check of agent.mjs on real sockets (127.0.0.1): it plays siptap,
// the control client and the UAC on one UDP socket. Exits 1 on the first
// failed check. `--wire` prints every SIP message, `--verbose` passes
// --verbose to the agent.
//
//   node selftest.mjs [--wire] [--verbose]
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import readline from "node:readline";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const WIRE = process.argv.includes("--wire");
const here = fileURLToPath(new URL(".", import.meta.url));
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

// --- a queue with "wait until something matches" ---------------------------

class Inbox {
  constructor() { this.items = []; this.waiters = []; }
  push(item) {
    this.items.push(item);
    for (const w of [...this.waiters]) this.tryWaiter(w);
  }
  tryWaiter(w) {
    const at = this.items.findIndex(w.match);
    if (at < 0) return false;
    const [item] = this.items.splice(at, 1);
    this.waiters.splice(this.waiters.indexOf(w), 1);
    clearTimeout(w.timer);
    w.resolve(item);
    return true;
  }
  next(match, what, ms = 3000) {
    return new Promise((resolve, reject) => {
      const w = { match, resolve };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      this.waiters.push(w);
      this.tryWaiter(w);
    });
  }
}

// --- the agent and its control connection ------------------------------------

async function startAgent() {
  const args = [here + "agent.mjs", "--control", "127.0.0.1:0"];
  if (process.argv.includes("--verbose")) args.push("--verbose");
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  process.on("exit", () => child.kill()); // never leave an agent behind
  const first = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`agent exited with ${code}`)));
  });
  const m = /^control 127\.0\.0\.1:(\d+)$/.exec(first);
  assert.ok(m, `first stdout line: ${first}`);
  return { child, port: Number(m[1]) };
}

function control(port, onModify) {
  const socket = net.connect(port, "127.0.0.1");
  const responses = new Map();
  const notes = new Inbox();
  let id = 0;
  const send = (o) => socket.write(JSON.stringify({ jsonrpc: "2.0", ...o }) + "\n");
  readline.createInterface({ input: socket }).on("line", async (line) => {
    const msg = JSON.parse(line);
    if (msg.method === "modify") {
      try { send({ id: msg.id, result: { sdp: await onModify(msg.params) } }); }
      catch (e) { send({ id: msg.id, error: { code: 1, message: e.message } }); }
    } else if (msg.method) {
      if (msg.method === "log") console.error("  # agent log:", msg.params.level, msg.params.message);
      notes.push(msg);
    } else {
      responses.get(msg.id)?.(msg);
    }
  });
  const rpc = (method, params) => new Promise((resolve) => {
    const n = ++id;
    responses.set(n, resolve);
    send({ id: n, method, params });
  });
  const raw = (line) => new Promise((resolve) => {
    responses.set(null, resolve);
    socket.write(line + "\n");
  });
  return { socket, rpc, raw, notes, ready: new Promise((r) => socket.once("connect", r)) };
}

// --- SIP on UDP -----------------------------------------------------------

function parseSip(text) {
  const [head, body = ""] = text.split("\r\n\r\n");
  const [start, ...lines] = head.split("\r\n");
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    const name = l.slice(0, i).trim().toLowerCase();
    (headers[name] ||= []).push(l.slice(i + 1).trim());
  }
  const status = /^SIP\/2\.0 (\d{3})/.exec(start);
  return { text, start, status: status && Number(status[1]), h: (n) => headers[n.toLowerCase()]?.[0], headers, body };
}

const OFFER = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
  "m=audio 40000 RTP/AVP 8 0 9 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:9 G722/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv", ""].join("\r\n");

class Uac {
  constructor(sock, agent) {
    this.sock = sock; this.agent = agent; this.n = 0;
    this.me = `127.0.0.1:${sock.address().port}`;
  }
  send(lines, body = "") {
    const text = [...lines, `Content-Length: ${Buffer.byteLength(body)}`, "", body].join("\r\n");
    if (WIRE) console.error(`--> ${text.replace(/\r\n/g, "\n    ")}`);
    this.sock.send(text, this.agent.port, this.agent.host);
  }
  invite(extra = [], body = OFFER) {
    const call = { callId: `selftest-${++this.n}-${Date.now()}`, tag: `t${this.n}`, branch: `z9hG4bKinv${this.n}`, cseq: 1 };
    this.send([`INVITE sip:siptap@${this.agent.host}:${this.agent.port} SIP/2.0`, ...this.common(call, call.branch, "1 INVITE"),
      `Contact: <sip:uac@${this.me}>`, ...extra, ...(body ? ["Content-Type: application/sdp"] : [])], body);
    return call;
  }
  common(call, branch, cseq, toTag) {
    return [`Via: SIP/2.0/UDP ${this.me};branch=${branch};rport`, "Max-Forwards: 70",
      `From: <sip:uac@${this.me}>;tag=${call.tag}`, `To: <sip:siptap@${this.agent.host}>${toTag ? ";tag=" + toTag : ""}`,
      `Call-ID: ${call.callId}`, `CSeq: ${cseq}`];
  }
  inDialog(call, method, r, extra = []) {
    const target = /<([^>]+)>/.exec(r.h("contact"))[1];
    const cseq = method === "ACK" ? "1 ACK" : `${++call.cseq} ${method}`;
    const totag = /tag=([^;]+)/.exec(r.h("to"))[1];
    this.send([`${method} ${target} SIP/2.0`, ...this.common(call, `z9hG4bK${method}${this.n}x${call.cseq}`, cseq, totag), ...extra]);
  }
}

// --- the checks -------------------------------------------------------------

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

const codecs = (sdp) => /^m=audio \d+ RTP\/AVP (.*)$/m.exec(sdp)?.[1];

async function main() {
  const { child, port } = await startAgent();
  const sip = dgram.createSocket("udp4");
  await new Promise((r) => sip.bind(0, "127.0.0.1", r));
  const wire = new Inbox();
  sip.on("message", (b) => {
    if (WIRE) console.error(`<-- ${b.toString().replace(/\r\n/g, "\n    ")}`);
    wire.push(parseSip(b.toString()));
  });
  // siptap's side of modify: modifier 1 makes our answer sendonly (the
  // INVITE's offer, which it also sees, it leaves alone), 9 fails
  const modifyTypes = [];
  const ctl = control(port, async ({ sdp, modifier, type }) => {
    modifyTypes.push(type);
    if (modifier === 9) throw new Error("modifier 9: boom");
    return type === "answer" ? sdp.replace("a=sendrecv", "a=sendonly") : sdp;
  });
  await ctl.ready;
  const resp = (call, status, ms) => wire.next((m) => m.status === status && m.h("call-id") === call.callId
    && / INVITE$/.test(m.h("cseq")), `${status} to ${call.callId}`, ms);
  const invited = async (call) => (await ctl.notes.next((n) => n.method === "invite" && n.params.callId === call.callId, "invite")).params.call;

  let agent, uac;
  check("start answers with a UDP address, T1 and the agent name", async () => {
    const r = await ctl.rpc("start", { sip: { transport: "udp", host: "127.0.0.1", port: sip.address().port }, t1: 500, test: "selftest" });
    assert.equal(r.result.transport, "udp");
    assert.equal(r.result.t1, 500);
    assert.equal(r.result.agent, "SIP.js 0.21.2");
    agent = r.result; uac = new Uac(sip, agent);
  });
  check("protocol errors: bad JSON, unknown method, unknown call", async () => {
    assert.equal((await ctl.raw("{nope")).error.code, -32700);
    assert.equal((await ctl.rpc("dance", {})).error.code, -32601);
    assert.ok((await ctl.rpc("progress", { call: 99, options: {} })).error);
    assert.deepEqual((await ctl.rpc("queued", { call: 99 })).error.code, -32602);
  });
  check("183 with an SDP answer; 200 refused with TypeError; accept gives 200", async () => {
    const call = uac.invite(["Supported: 100rel"]);
    await resp(call, 100);
    const n = await invited(call);
    assert.deepEqual((await ctl.rpc("progress", { call: n, options: { statusCode: 183 } })).result, { settled: true });
    const r183 = await resp(call, 183);
    assert.equal(r183.h("content-type"), "application/sdp");
    assert.equal(codecs(r183.body), "8 0 101"); // the offer's order, without G722
    assert.equal(r183.h("require"), undefined);
    const bad = await ctl.rpc("progress", { call: n, options: { statusCode: 200 } });
    assert.equal(bad.error.message, "TypeError: Invalid statusCode: 200");
    assert.equal(bad.error.data.name, "TypeError");
    assert.deepEqual((await ctl.rpc("queued", { call: n })).result, { queued: 0 });
    assert.deepEqual((await ctl.rpc("accept", { call: n })).result, { settled: true });
    const ok = await resp(call, 200);
    uac.inDialog(call, "ACK", ok);
  });
  check("reliable 180 with a modifier, accept waits for the PRACK", async () => {
    const call = uac.invite(["Supported: 100rel"]);
    const n = await invited(call);
    const p = await ctl.rpc("progress", { call: n, options: { statusCode: 180, rel100: true, sessionDescriptionHandlerModifiers: [1] } });
    assert.deepEqual(p.result, { settled: false });
    const r180 = await resp(call, 180);
    assert.equal(r180.h("require"), "100rel");
    assert.match(r180.h("rseq"), /^\d+$/);
    assert.match(r180.body, /a=sendonly\r\n/); // the modifier's work
    // as SIP.js's Web SDH: over the remote offer, then over our answer
    assert.deepEqual(modifyTypes.splice(0), ["offer", "answer"]);
    const a = await ctl.rpc("accept", { call: n });
    assert.deepEqual(a.result, { settled: false });
    uac.inDialog(call, "PRACK", r180, [`RAck: ${r180.h("rseq")} 1 INVITE`]);
    const prackOk = await wire.next((m) => m.status === 200 && / PRACK$/.test(m.h("cseq")), "200 to PRACK");
    assert.equal(prackOk.h("call-id"), call.callId);
    const ok = await resp(call, 200);
    uac.inDialog(call, "ACK", ok);
  });
  check("configure rel100 required: a plain progress is reliable; reject sends 486", async () => {
    assert.deepEqual((await ctl.rpc("configure", { rel100: "required" })).result, { t1: 500 });
    const call = uac.invite(["Supported: 100rel"]);
    const n = await invited(call);
    await ctl.rpc("progress", { call: n, options: { statusCode: 183 } });
    const r183 = await resp(call, 183);
    assert.equal(r183.h("require"), "100rel");
    uac.inDialog(call, "PRACK", r183, [`RAck: ${r183.h("rseq")} 1 INVITE`]);
    await wire.next((m) => m.status === 200 && / PRACK$/.test(m.h("cseq")), "200 to PRACK");
    assert.deepEqual((await ctl.rpc("reject", { call: n, options: { statusCode: 486 } })).result, { settled: true });
    await resp(call, 486);
  });
  check("a failing modifier fails the method, and SIP.js answers 480", async () => {
    const call = uac.invite();
    const n = await invited(call);
    const r = await ctl.rpc("progress", { call: n, options: { statusCode: 183, sessionDescriptionHandlerModifiers: [9] } });
    assert.equal(r.error.message, "Error: modifier 9: boom");
    await resp(call, 480);
  });
  check("a second connection breaking off leaves the first alone", async () => {
    const other = control(port, async (p) => p.sdp);
    await other.ready;
    assert.equal((await other.raw("not json")).error.code, -32700);
    assert.ok((await other.rpc("start", { sip: { transport: "udp", host: "127.0.0.1", port: sip.address().port } })).result);
    other.socket.destroy();
    await wait(100);
    assert.deepEqual((await ctl.rpc("queued", { call: 1 })).result, { queued: 0 });
  });

  let failed = 0;
  for (const { name, fn } of checks) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (error) {
      failed++;
      console.log(`not ok - ${name}\n  ${String(error.stack || error).replace(/\n/g, "\n  ")}`);
      if (!agent) break;
    }
  }
  ctl.socket.end();
  await wait(100);
  child.kill("SIGTERM");
  const code = await new Promise((r) => child.once("exit", (c) => r(c)));
  if (code !== 0) { failed++; console.log(`not ok - agent exit status ${code} on SIGTERM`); }
  sip.close();
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
