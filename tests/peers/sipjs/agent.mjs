#!/usr/bin/env node
// siptap remote-UAS agent for SIP.js: siptap connects over TCP, one
// connection per test, and drives a fresh SIP.js UserAgent with JSON-RPC
// lines (the protocol: siptap's agent protocol, v1). SIP.js talks SIP to
// siptap over UDP through ./transport.mjs; its SDP comes from ./sdh.mjs.
//
//   node agent.mjs --control 127.0.0.1:0 [--verbose] [--defaults]
import net from "node:net";
import readline from "node:readline";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Core, SIPExtension, UserAgent } from "sip.js";
import { UdpTransport } from "./transport.mjs";
import { sdhFactory } from "./sdh.mjs";
import { applyUaConfig, invokeInvitation, inviteResponseCallId, sessionRequest } from "./invitation.mjs";

// sip.js 0.21.2 still calls itself 0.21.1 in its `version` export (and in
// its User-Agent header), so the name for reports comes from package.json.
const SIPJS_VERSION = createRequire(import.meta.url)("sip.js/package.json").version;
const AGENT_NAME = `SIP.js ${SIPJS_VERSION}`;
const T1 = Core.Timers.T1; // fixed in SIP.js; a start or configure t1 cannot change it
const ANSWER_WAIT_MS = 200;

const USAGE = `usage: node agent.mjs --control 127.0.0.1:PORT [--verbose] [--defaults] [--math-random X]
       node agent.mjs --help

siptap's remote-UAS agent for SIP.js ${SIPJS_VERSION}. Listens for control
connections on 127.0.0.1:PORT (0 = any free port) and prints
"control 127.0.0.1:PORT" as the first line on stdout; logs go to stderr.
Each connection is one test with a UserAgent of its own.

options:
  --control ADDR:PORT  where to listen (127.0.0.1 or [::1]; default 127.0.0.1:0;
                       on [::1] its SIP is on ::1 too)
  --verbose            log control traffic and SIP.js's warnings to stderr
  --defaults           each UserAgent as SIP.js's users get it: its automatic
                       180 on (sendInitialProvisionalResponse: true) and
                       noAnswerTimeout 60 s; without it the automatic 180
                       is off and the scenario decides every response.
                       Either way t:uas{sendInitialProvisionalResponse,
                       noAnswerTimeout} (configure) sets them per test
  --no-rport           a probe: SIP.js's Via without ;rport (SIP.js's own
                       default), so its BYE, INFO and re-INVITE are answered
                       at 5060 per RFC 3261 18.2.2 and never reach it
  --math-random X      a probe: Math.random() always returns X (0 <= X < 1),
                       e.g. 0 to see the first RSeq SIP.js draws in 1 of
                       10000 calls (floor(random * 10000) = 0)
  -h, --help           this text
`;

let verbose = false;
// --defaults: SIP.js's own sendInitialProvisionalResponse (true)
let sipjsDefaults = false;
// --no-rport: SIP.js's own Via (no rport), a probe
let forceRport = true;
const debug = (...args) => verbose && console.error("sipjs-agent:", ...args);
export const setVerbose = (on) => { verbose = on; };

// --- JSON-RPC errors ----------------------------------------------------

// An error of the agent itself (bad params, unknown call), as opposed to
// one SIP.js raised, which is the thing under test.
export class AgentError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// SIP.js's own exceptions keep the name "Error"; their class says more.
function errorName(error) {
  if (error && typeof error === "object") {
    if (error.name && error.name !== "Error") return error.name;
    if (error.constructor && error.constructor.name !== "Object") return error.constructor.name;
  }
  return "Error";
}

export function describe(error) {
  const message = error && typeof error === "object" ? error.message : String(error);
  return `${errorName(error)}: ${message}`;
}

function rpcError(error) {
  if (error instanceof AgentError) return { code: error.code, message: error.message, data: { name: "AgentError" } };
  return { code: -32000, message: describe(error), data: { name: errorName(error) } };
}

const isV6 = (peer) => peer.host.includes(":");

function checkPeer(sip) {
  const ok = sip && typeof sip === "object" && (sip.transport === undefined || String(sip.transport).toLowerCase() === "udp")
    && typeof sip.host === "string" && Number.isInteger(sip.port) && sip.port > 0 && sip.port < 65536;
  if (!ok) throw new AgentError(-32602, "start: params.sip must be {transport: \"udp\", host, port}");
  return { host: sip.host, port: sip.port };
}

const REL100 = { required: SIPExtension.Required, supported: SIPExtension.Supported };

// --- one control connection = one test = one UserAgent -------------------

let connectionCount = 0;
const connections = new Set();

export class Connection {
  constructor(socket) {
    connections.add(this);
    this.socket = socket;
    this.tag = `#${++connectionCount}`;
    this.ua = undefined;
    this.config = {}; // configure before start is kept for start
    this.calls = new Map(); // call number -> { number, invitation, callId, onSent }
    this.pending = new Map(); // our request id -> { resolve, reject }
    this.nextId = 1;
    this.closed = false;
    this.methods = {
      start: (p) => this.start(p),
      configure: (p) => this.configure(p),
      progress: (p) => this.invoke("progress", p),
      accept: (p) => this.invoke("accept", p),
      reject: (p) => this.invoke("reject", p),
      queued: (p) => (this.call(p), { queued: 0 }), // SIP.js never queues
      bye: (p) => this.sessionRequest("bye", p),
      info: (p) => this.sessionRequest("info", p),
      reinvite: (p) => this.sessionRequest("reinvite", p),
    };
    const lines = readline.createInterface({ input: socket, crlfDelay: Infinity });
    lines.on("line", (line) => this.onLine(line));
    // readline passes the socket's errors on (a reset siptap, say); both
    // end here, then "close" cleans up
    lines.on("error", (error) => debug(this.tag, "control socket:", error.message));
    socket.on("error", (error) => debug(this.tag, "control socket:", error.message));
    socket.on("close", () => this.close());
    debug(this.tag, "connected");
  }

  send(object) {
    if (this.closed || this.socket.destroyed) return;
    const line = JSON.stringify({ jsonrpc: "2.0", ...object });
    debug(this.tag, ">", line);
    this.socket.write(line + "\n");
  }

  notify(method, params) {
    this.send({ method, params });
  }

  // A request of ours to siptap (modify); resolves with its result.
  request(method, params) {
    if (this.closed) return Promise.reject(new Error("control connection closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ id, method, params });
    });
  }

  log(level, message) {
    debug(this.tag, level, message);
    this.notify("log", { level, message });
  }

  onLine(line) {
    if (line.trim() === "") return;
    debug(this.tag, "<", line);
    let message;
    try {
      message = JSON.parse(line);
    } catch (error) {
      return this.send({ id: null, error: { code: -32700, message: `Parse error: ${error.message}` } });
    }
    if (message && typeof message === "object" && typeof message.method === "string") {
      return this.onRequest(message);
    }
    if (message && typeof message === "object" && message.id !== undefined && ("result" in message || "error" in message)) {
      return this.onResponse(message);
    }
    this.send({ id: message && message.id !== undefined ? message.id : null, error: { code: -32600, message: "Invalid Request" } });
  }

  onResponse(message) {
    const waiter = this.pending.get(message.id);
    if (!waiter) return debug(this.tag, "a response to no request of ours:", message.id);
    this.pending.delete(message.id);
    if (message.error) waiter.reject(new Error(String(message.error.message)));
    else waiter.resolve(message.result);
  }

  // Answers a request (not a notification) with its method's result or
  // error; nothing the method throws gets further than this.
  async onRequest({ id, method, params }) {
    const reply = (body) => id !== undefined && this.send({ id, ...body });
    const handler = Object.hasOwn(this.methods, method) ? this.methods[method] : undefined;
    if (!handler) return reply({ error: { code: -32601, message: `Method not found: ${method}` } });
    try {
      reply({ result: await handler(params || {}) });
    } catch (error) {
      reply({ error: rpcError(error) });
    }
  }

  async start(params) {
    if (this.ua) throw new AgentError(-32600, "start: already started");
    const peer = checkPeer(params.sip);
    debug(this.tag, "start", params.test || "");
    this.ua = this.makeUserAgent(peer);
    this.applyConfig(this.config);
    await this.ua.start(); // binds the UDP socket
    if (this.closed) throw new Error("control connection closed during start");
    const { address, port } = this.ua.transport.address();
    return { transport: "udp", host: address, port, t1: T1, agent: AGENT_NAME };
  }

  makeUserAgent(peer) {
    return new UserAgent({
      // SIP.js answers 404 to a Request-URI whose user is neither the AOR's
      // nor the Contact's; siptap calls sip:siptap@ADDR:PORT.
      // on ::1 when siptap's UAC is (siptap --ip ::1): one family a test
      uri: UserAgent.makeURI(`sip:siptap@${isV6(peer) ? "[::1]" : "127.0.0.1"}`),
      contactName: "siptap",
      viaHost: isV6(peer) ? "[::1]" : "127.0.0.1",
      contactParams: { transport: "udp" },
      // SIP.js's Via has no port (viaHost only; it drops a response whose
      // Via has one), so its own requests (BYE, INFO, re-INVITE) would be
      // answered at 5060 (RFC 3261 18.2.2). rport (RFC 3581) makes siptap
      // answer them at the port they came from.
      forceRport,
      sipExtension100rel: SIPExtension.Supported,
      // SIP.js would send 180 Ringing by itself before onInvite (and wait
      // for its PRACK under 100rel); the scenario decides every response,
      // unless the run measures SIP.js as its users configure it
      // (--defaults) or the test asks (configure).
      sendInitialProvisionalResponse: sipjsDefaults,
      noAnswerTimeout: 60, // SIP.js's default, named: configure changes it
      logLevel: "warn",
      logBuiltinEnabled: false,
      logConfiguration: false,
      logConnector: (level, category, label, content) => {
        if (level === "warn" || level === "error") this.log(level, `${category}: ${content}`);
      },
      transportConstructor: UdpTransport,
      transportOptions: { peer, onSend: (message) => this.sent(message) },
      sessionDescriptionHandlerFactory: sdhFactory,
      delegate: { onInvite: (invitation) => this.onInvite(invitation) },
    });
  }

  // configure: rel100 and t1 as the protocol says, and SIP.js's
  // UserAgent options sendInitialProvisionalResponse (boolean, its
  // automatic 180) and noAnswerTimeout (seconds until it rejects an
  // unanswered INVITE with 480), from t:uas{...}.
  configure(params) {
    for (const key of Object.keys(params)) {
      if (!["rel100", "t1", "sendInitialProvisionalResponse", "noAnswerTimeout"].includes(key)) {
        throw new AgentError(-32602, `configure: unknown key ${key}`);
      }
    }
    const nat = params.noAnswerTimeout;
    if (nat !== undefined && !(Number.isInteger(nat) && nat >= 1 && nat <= 3600)) {
      throw new AgentError(-32602, "configure: noAnswerTimeout must be whole seconds, 1..3600");
    }
    if (params.rel100 !== undefined && !Object.hasOwn(REL100, params.rel100)) {
      throw new AgentError(-32602, `configure: rel100 must be "required" or "supported", not ${JSON.stringify(params.rel100)}`);
    }
    if (params.sendInitialProvisionalResponse !== undefined && typeof params.sendInitialProvisionalResponse !== "boolean") {
      throw new AgentError(-32602, "configure: sendInitialProvisionalResponse must be a boolean");
    }
    Object.assign(this.config, params);
    if (this.ua) this.applyConfig(params);
    return { t1: T1 };
  }

  // Invitation reads sipExtension100rel and sendInitialProvisionalResponse
  // from the UA's options at each INVITE/progress; the Supported header
  // was fixed when the core was made, so it is changed there too, as if
  // the UserAgent had been built with the new policy.
  applyConfig(params) {
    applyUaConfig(this.ua, params, REL100);
  }

  onInvite(invitation) {
    const number = this.calls.size + 1;
    const callId = invitation.request.callId;
    this.calls.set(number, { number, invitation, callId, onSent: new Set() });
    this.notify("invite", { call: number, callId });
  }

  call(params) {
    const call = this.calls.get(params.call);
    if (!call) throw new AgentError(-32602, `unknown call ${JSON.stringify(params.call)}`);
    return call;
  }

  // Every message the transport sends passes here: a response to a
  // call's INVITE wakes whoever waits on that call.
  sent(message) {
    const callId = inviteResponseCallId(message);
    if (callId === undefined) return;
    for (const call of this.calls.values()) {
      if (call.callId === callId) for (const wake of [...call.onSent]) wake();
    }
  }

  // progress/accept/reject on the Invitation. The answer: an error if it
  // threw or rejected, {settled:true} if it resolved, else {settled:false}
  // once it sent a response for the call or after 200 ms (it may wait for
  // a PRACK, and siptap has to send that PRACK).
  invoke(method, params) {
    const call = this.call(params);
    const options = this.translate(call, params.options);
    return invokeInvitation(call, method, options, ANSWER_WAIT_MS, describe,
      (text) => this.log("error", text));
  }

  // bye/info/reinvite: the UAS's own request through SIP.js's Session
  // (invitation.mjs); the answer {cseq} of what it sent.
  sessionRequest(method, params) {
    const call = this.call(params);
    return sessionRequest(call, method, this.translate(call, params.options));
  }
  // Options go to SIP.js as they came, but a list of integer handles in
  // sessionDescriptionHandlerModifiers becomes modifier functions.
  translate(call, options) {
    const list = options && typeof options === "object" ? options.sessionDescriptionHandlerModifiers : undefined;
    if (!Array.isArray(list)) return options;
    const modifiers = list.map((handle) => (Number.isInteger(handle) ? this.modifier(call, handle) : handle));
    return { ...options, sessionDescriptionHandlerModifiers: modifiers };
  }

  // SIP.js keeps an Invitation's modifiers and runs them again for later
  // responses, so a handle stays good for the whole call.
  modifier(call, handle) {
    return async (description) => {
      const params = { call: call.number, modifier: handle, type: description.type, sdp: description.sdp };
      const result = await this.request("modify", params);
      if (!result || typeof result.sdp !== "string") throw new Error(`modifier ${handle}: siptap answered no sdp`);
      return { type: description.type, sdp: result.sdp };
    };
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    connections.delete(this);
    debug(this.tag, "closed");
    for (const waiter of this.pending.values()) waiter.reject(new Error("control connection closed"));
    this.pending.clear();
    this.socket.destroy();
    const ua = this.ua;
    if (ua) {
      // stop() ends open calls (a 480 to unanswered INVITEs) and the transport
      return ua.stop().catch((error) => debug(this.tag, "stop:", describe(error)));
    }
    return Promise.resolve();
  }
}

// --- command line and main -----------------------------------------------

function usageError(message) {
  process.stderr.write(`sipjs-agent: ${message} (see --help)\n`);
  process.exit(2);
}

function parseArgs(argv) {
  let control = "127.0.0.1:0";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg === "--verbose") {
      verbose = true;
    } else if (arg === "--defaults") {
      sipjsDefaults = true;
    } else if (arg === "--no-rport") {
      forceRport = false;
    } else if (arg === "--math-random") {
      const x = Number(argv[++i]);
      if (!(x >= 0 && x < 1)) usageError("--math-random wants a number in [0, 1)");
      Math.random = () => x;
    } else if (arg === "--control" || arg.startsWith("--control=")) {
      control = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (control === undefined) usageError("--control needs ADDR:PORT");
    } else {
      usageError(`unknown argument: ${arg}`);
    }
  }
  const match = /^(127\.0\.0\.1|\[::1\]):(\d{1,5})$/.exec(control);
  if (!match || Number(match[2]) > 65535) usageError(`--control wants 127.0.0.1:PORT or [::1]:PORT, not ${control}`);
  return { host: match[1].replace(/[[\]]/g, ""), port: Number(match[2]) };
}

function main() {
  const { host, port } = parseArgs(process.argv.slice(2));
  // SIP.js throws from timers and callbacks now and then; that must cost
  // at most one call, never the agent with every test on it.
  process.on("uncaughtException", (error) => console.error("sipjs-agent: uncaught:", error));
  process.on("unhandledRejection", (error) => console.error("sipjs-agent: unhandled rejection:", error));
  // A reader gone from our stdout or stderr is no reason to stop either.
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});

  const server = net.createServer((socket) => new Connection(socket));
  server.on("error", (error) => {
    console.error(`sipjs-agent: control ${host}:${port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    const h = host.includes(":") ? `[${host}]` : host;
    process.stdout.write(`control ${h}:${server.address().port}\n`);
  });

  const shutdown = (signal) => {
    debug("stopping on", signal);
    server.close();
    const stops = [...connections].map((c) => c.close());
    // Graceful stops send their final responses; do not wait forever.
    setTimeout(() => process.exit(0), 1000).unref();
    Promise.allSettled(stops).then(() => process.exit(0));
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

// browser/agent.mjs reuses the Connection (the protocol, configure's
// checks) with the UserAgent in a Chromium page; imported, nothing runs.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
