// The page of the browser agent (agent.mjs): one tab per test, one SIP.js
// UserAgent in it, with SIP.js's own WebSocket transport and its own Web
// session description handler (RTCPeerConnection, getUserMedia on
// Chromium's fake devices), untouched. Bundled by esbuild; agent.mjs
// drives it through window.siptap and gets its news through the
// functions it exposes (siptapNotify, siptapModify).
import { Core, Registerer, RegistererState, SIPExtension, UserAgent } from "sip.js";
import { applyUaConfig, invokeInvitation, inviteResponseCallId, sessionRequest } from "../invitation.mjs";

const ANSWER_WAIT_MS = 200;
const REGISTER_WAIT_MS = 5000;
const REL100 = { required: SIPExtension.Required, supported: SIPExtension.Supported };

const notify = (method, params) => window.siptapNotify(method, params);

// SIP.js's own exceptions keep the name "Error"; their class says more.
function describe(error) {
  if (!error || typeof error !== "object") return `Error: ${String(error)}`;
  let name = error.name && error.name !== "Error" ? error.name
    : error.constructor && error.constructor.name !== "Object" ? error.constructor.name : "Error";
  return `${name}: ${error.message}`;
}

const calls = new Map(); // call number -> { number, invitation, callId, onSent }
let ua;

// --- the page's WebSocket, wrapped (not SIP.js): what went over it -----

// Every SIP message the page sent or got over its WebSocket goes to the
// agent ("wire"); a response to a call's INVITE also wakes whoever
// waits on that call. Keep-alives (CRLF CRLF) are no message.
function seen(dir, data) {
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  if (/^\s*$/.test(text)) return;
  if (stallMs && dir === "sent" && /^SIP\/2\.0 18\d/.test(text)) stallNow();
  // when, in µs since 1970 (siptap's wall clock is this machine's too)
  const at = Math.round((performance.timeOrigin + performance.now()) * 1000);
  notify("wire", { dir, data: text, at });
  if (dir !== "sent") return;
  const callId = inviteResponseCallId(text);
  if (callId === undefined) return;
  for (const call of calls.values()) {
    if (call.callId === callId) for (const wake of [...call.onSent]) wake();
  }
}

const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    this.addEventListener("message", (event) => seen("received", event.data));
  }

  send(data) {
    seen("sent", data);
    return super.send(data);
  }
};

// --- how late this page runs ---------------------------------------------

// A busy machine starves the renderer, and a hidden tab's timers may be
// throttled: SIP.js's timers (retransmissions at T1, 2*T1, ...) are then
// late by as much. A tick every LATE_TICK_MS measures it; each lateness
// of LATE_NOTE_MS or more goes to siptap (`late`: how late, and when the
// page ran again), whose timing checks do not blame SIP.js for a miss
// within a lateness of that interval (docs/browser.md).
const LATE_TICK_MS = 10;
const LATE_NOTE_MS = 20;
function lateTick(due) {
  const now = performance.now();
  const late = Math.round(now - due);
  if (ua && late >= LATE_NOTE_MS) {
    notify("late", { ms: late, at: Math.round((performance.timeOrigin + now) * 1000) });
  }
  const next = performance.now() + LATE_TICK_MS;
  setTimeout(() => lateTick(next), LATE_TICK_MS);
}
lateTick(performance.now());

// A probe (agent.mjs --fault stall): the main thread busy for stallMs,
// 50 ms after the next 18x went out, as a starved renderer is.
let stallMs = 0;
function stallNow() {
  const ms = stallMs;
  stallMs = 0;
  setTimeout(() => {
    const end = performance.now() + ms;
    while (performance.now() < end) { /* busy, on purpose */ }
  }, 50);
}

// --- the UserAgent -------------------------------------------------------

const applyConfig = (params) => applyUaConfig(ua, params, REL100);

function onInvite(invitation) {
  const number = calls.size + 1;
  const callId = invitation.request.callId;
  calls.set(number, { number, invitation, callId, onSent: new Set() });
  notify("invite", { call: number, callId });
}

// Registered, or an error saying why not, within REGISTER_WAIT_MS.
function registered(registerer) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`REGISTER: no 2xx within ${REGISTER_WAIT_MS} ms`)), REGISTER_WAIT_MS);
    registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered) {
        clearTimeout(timer);
        resolve();
      } else if (state === RegistererState.Unregistered || state === RegistererState.Terminated) {
        clearTimeout(timer);
        reject(new Error(`REGISTER: ${state}`));
      }
    });
  });
}

// start: a UserAgent for user, connected to server (ws:// or wss://),
// registered there; its configuration as agent.mjs says.
async function start({ server, user, defaults, config, mathRandom }) {
  // a probe (agent.mjs --math-random): SIP.js's random draws pinned
  if (typeof mathRandom === "number") Math.random = () => mathRandom;
  ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${user}@127.0.0.1`),
    contactName: user,
    sipExtension100rel: SIPExtension.Supported,
    sendInitialProvisionalResponse: defaults,
    noAnswerTimeout: 60,
    logLevel: "warn",
    logBuiltinEnabled: false,
    logConfiguration: false,
    logConnector: (level, category, label, content) => {
      if (level === "warn" || level === "error") notify("log", { level, message: `${category}: ${content}` });
    },
    transportOptions: { server, connectionTimeout: 5, keepAliveInterval: 0 },
    sessionDescriptionHandlerFactoryOptions: {
      peerConnectionConfiguration: { iceServers: [] },
    },
    delegate: { onInvite },
  });
  applyConfig(config);
  await ua.start();
  const registerer = new Registerer(ua, { expires: 600 });
  const done = registered(registerer);
  await registerer.register();
  await done;
  return { uri: `sip:${user}@127.0.0.1`, t1: Core.Timers.T1, chromium: navigator.userAgent };
}

function call(number) {
  const found = calls.get(number);
  if (!found) throw new Error(`unknown call ${JSON.stringify(number)}`);
  return found;
}

// A list of integer handles in sessionDescriptionHandlerModifiers becomes
// modifier functions that ask siptap (through agent.mjs) to run them.
// SIP.js keeps an Invitation's modifiers for later responses too.
function translate(number, options) {
  const list = options && typeof options === "object" ? options.sessionDescriptionHandlerModifiers : undefined;
  if (!Array.isArray(list)) return options;
  const modifiers = list.map((handle) => (!Number.isInteger(handle) ? handle : async (description) => {
    const sdp = await window.siptapModify(number, handle, description.type, description.sdp);
    return { type: description.type, sdp };
  }));
  return { ...options, sessionDescriptionHandlerModifiers: modifiers };
}

// progress/accept/reject on the Invitation, answered as agent.mjs's
// (node) agent does: an error if it threw or rejected, {settled:true}
// if it resolved, else {settled:false} once it sent a response for the
// call or after ANSWER_WAIT_MS (it may wait for a PRACK).
function invoke(method, { call: number, options }) {
  return invokeInvitation(call(number), method, translate(number, options), ANSWER_WAIT_MS, describe,
    (text) => notify("log", { level: "error", message: text }))
    .catch((error) => { throw new Error(describe(error)); });
}

// bye/info/reinvite through the call's Session (invitation.mjs): {cseq}
function sessionRequestOf(method, { call: number, options }) {
  return sessionRequest(call(number), method, translate(number, options))
    .catch((error) => { throw new Error(describe(error)); });
}

// stop() ends open calls (a 480 to unanswered INVITEs) and unregisters.
async function stop() {
  if (ua) await ua.stop();
}

// The fake capture device starts once per tab, while the tab waits as a
// spare: the first call's SDP then does not wait for it (SIP.js's own
// getUserMedia per call is unchanged).
navigator.mediaDevices.getUserMedia({ audio: true })
  .then((stream) => stream.getTracks().forEach((track) => track.stop()))
  .catch(() => {});

// What agent.mjs can call; a JS error anywhere else is a page error.
window.siptap = {
  start,
  configure: (params) => applyConfig(params),
  invoke,
  sessionRequest: sessionRequestOf,
  queued: ({ call: number }) => (call(number), { queued: 0 }), // SIP.js never queues
  stop,
  // a probe (agent.mjs --fault page-error): an exception nobody catches
  fault: () => setTimeout(() => { throw new TypeError("siptap probe: a page error nobody catches"); }, 0),
  stall: (ms) => { stallMs = ms; },
  // a probe (agent.mjs --fault slow-sdp): Chromium slow to make SDP
  slowSdp: (ms) => {
    for (const name of ["createOffer", "createAnswer"]) {
      const made = RTCPeerConnection.prototype[name];
      RTCPeerConnection.prototype[name] = function (...args) {
        return new Promise((resolve) => setTimeout(resolve, ms)).then(() => made.apply(this, args));
      };
    }
  },
};
