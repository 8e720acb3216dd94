// A SessionDescriptionHandler for SIP.js without WebRTC: it writes real
// SDP (audio, and video when asked, on 127.0.0.1, no media flows) in the
// shape of siptap's reference UAS (src/sdp.c, libre's encoder), so the
// scenarios' SDP checks hold for both.
//
// sessionDescriptionHandlerOptions it honours as SIP.js's Web SDH means
// them: constraints {audio, video} (which media the SDP holds; an answer
// declines the others with port 0, as siptap's UAS does), hold (the
// direction table of the Web SDH's updateDirection: sendrecv becomes
// sendonly, recvonly inactive). Modifiers run as the Web SDH runs them:
// over the remote description in setDescription, over the local one in
// getDescription. siptap never sends it its own extensions (codecs,
// direction, port: such a test is skipped), but they still work here.

// name -> payload type, clock rate, channels, fmtp; as in src/sdp.c.
const CODECS = [
  { name: "PCMU", pt: 0, rate: 8000 },
  { name: "PCMA", pt: 8, rate: 8000 },
  { name: "G722", pt: 9, rate: 8000 },
  { name: "opus", pt: 111, rate: 48000, channels: 2, fmtp: "minptime=10;useinbandfec=1" },
  { name: "telephone-event", pt: 101, rate: 8000, fmtp: "0-16" },
];
const STATIC_NAMES = { 0: "PCMU", 8: "PCMA", 9: "G722" };
const DEFAULTS = { codecs: ["PCMU", "PCMA", "telephone-event"], direction: "sendrecv", port: 49170 };
const DIRS = ["inactive", "sendonly", "recvonly", "sendrecv"]; // index = send|recv bits
// constraints.video: as src/sdp.c offers video
const VIDEO = [
  { name: "VP8", pt: 96, rate: 90000 },
  { name: "H264", pt: 97, rate: 90000, fmtp: "packetization-mode=1" },
];
const ADDR = "127.0.0.1";

function findCodec(name) {
  const lower = String(name).toLowerCase();
  return CODECS.find((c) => c.name.toLowerCase() === lower);
}

// Options are the scenario's, unvalidated; refuse what we cannot honour
// the way a real SDH refuses bad constraints: by rejecting.
function settings(options) {
  const o = options || {};
  const codecs = o.codecs === undefined ? DEFAULTS.codecs : o.codecs;
  if (!Array.isArray(codecs) || codecs.length === 0) throw new TypeError("codecs: a non-empty list of names wanted");
  const unknown = codecs.find((n) => !findCodec(n));
  if (unknown !== undefined) throw new TypeError(`codecs: unknown codec ${unknown}`);
  const direction = o.direction === undefined ? DEFAULTS.direction : o.direction;
  if (!DIRS.includes(direction)) throw new TypeError(`direction: unknown direction ${direction}`);
  const port = o.port === undefined || o.port === 0 ? DEFAULTS.port : o.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`port: ${port} is no port`);
  // SIP.js's hold: we stop receiving (the send bit is kept)
  const held = o.hold === true ? DIRS[DIRS.indexOf(direction) & 1] : direction;
  // SIP.js's constraints: audio unless they leave it out; neither given
  // is its default, audio
  const c = o.constraints && typeof o.constraints === "object" ? o.constraints : {};
  const none = c.audio === undefined && c.video === undefined;
  const media = { audio: none || Boolean(c.audio), video: !none && Boolean(c.video) };
  return { codecs: codecs.map(findCodec), direction: held, port, media };
}

function rtpmapLines(pt, codec) {
  const lines = [`a=rtpmap:${pt} ${codec.name}/${codec.rate}${codec.channels ? "/" + codec.channels : ""}`];
  if (codec.fmtp) lines.push(`a=fmtp:${pt} ${codec.fmtp}`);
  return lines;
}

function audioSection(port, formats, direction, type = "audio") {
  const lines = [`m=${type} ${port} RTP/AVP ${formats.map((f) => f.pt).join(" ")}`];
  for (const f of formats) lines.push(...rtpmapLines(f.pt, f.codec));
  lines.push(`a=${direction}`);
  return lines;
}

// --- reading an offer ----------------------------------------------------

function parseSdp(sdp) {
  const lines = sdp.split(/\r?\n/).filter((l) => l !== "");
  const session = [];
  const media = [];
  for (const line of lines) {
    if (line.startsWith("m=")) media.push({ mline: line, attrs: [] });
    else if (media.length) media[media.length - 1].attrs.push(line);
    else session.push(line);
  }
  return { session, media };
}

function directionOf(lines) {
  return lines.filter((l) => l.startsWith("a=")).map((l) => l.slice(2)).find((d) => DIRS.includes(d));
}

// RFC 3264 6.1: the formats both have, in the offer's order and with its
// payload numbers; our direction ANDed with the offer's, mirrored.
function answerSection(m, sessionDir, mine) {
  const [, type, port, proto, fmts = ""] = m.mline.match(/^m=(\S+) (\d+)(?:\/\d+)? (\S+) ?(.*)$/) || [];
  const offered = fmts.split(" ").filter(Boolean);
  const rtpmaps = {};
  for (const a of m.attrs) {
    const r = a.match(/^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/);
    if (r) rtpmaps[r[1]] = { name: r[2], rate: Number(r[3]) };
  }
  const common = [];
  const ours = type === "video" ? VIDEO : mine.codecs;
  if ((type === "audio" || type === "video") && mine.media[type] && /^RTP\/AVP$/i.test(proto) && port !== "0") {
    for (const pt of offered) {
      const map = rtpmaps[pt] || (STATIC_NAMES[pt] && { name: STATIC_NAMES[pt], rate: 8000 });
      const codec = map && ours.find((c) => c.name.toLowerCase() === map.name.toLowerCase() && c.rate === map.rate);
      if (codec) common.push({ pt, codec });
    }
  }
  if (!common.length) return rejectedSection(type || "audio", proto || "RTP/AVP", offered, m.attrs);
  const theirs = DIRS.indexOf(directionOf(m.attrs) || sessionDir || "sendrecv");
  const mirrored = ((theirs & 1) << 1) | ((theirs & 2) >> 1);
  const port2 = type === "video" ? mine.port + 2 : mine.port;
  return audioSection(port2, common, DIRS[DIRS.indexOf(mine.direction) & mirrored], type);
}

// A stream we decline: port 0, the offer's formats and their rtpmaps, so
// the m= line stays well formed (RFC 3264 6).
function rejectedSection(type, proto, offered, attrs) {
  const fmts = offered.length ? offered : ["0"];
  const maps = attrs.filter((a) => fmts.some((pt) => a.startsWith(`a=rtpmap:${pt} `)));
  return [`m=${type} 0 ${proto} ${fmts.join(" ")}`, ...maps];
}

// --- the handler ---------------------------------------------------------

export class SdpHandler {
  constructor(logger) {
    this.logger = logger;
    this.sessionId = Math.floor(Math.random() * 2 ** 32);
    this.version = Math.floor(Math.random() * 2 ** 31);
    this.lastBody = undefined; // our last SDP without its o= line
    this.remote = undefined; // the peer's SDP
    this.state = "stable"; // stable | have-local-offer | have-remote-offer
    this.closed = false;
  }

  // An offer if there is no remote offer to answer, else the answer.
  getDescription(options, modifiers) {
    if (this.closed) return Promise.reject(new Error("Peer connection closed."));
    let description;
    try {
      const mine = settings(options);
      const answering = this.state === "have-remote-offer";
      const body = answering ? this.answerBody(mine) : this.offerBody(mine);
      description = { type: answering ? "answer" : "offer", sdp: this.withOrigin(body) };
    } catch (error) {
      return Promise.reject(error);
    }
    return applyModifiers(description, modifiers).then((final) => {
      this.state = final.type === "offer" ? "have-local-offer" : "stable";
      return { body: final.sdp, contentType: "application/sdp" };
    });
  }

  // The peer's offer, or its answer to our offer, after the modifiers
  // (the Web SDH runs them over the remote description too). The answer
  // is made from the offer as modified; its m= lines are then fitted to
  // the offer on the wire (offerWire), as siptap's UAS fits them.
  setDescription(sdp, options, modifiers) { // eslint-disable-line no-unused-vars
    if (this.closed) return Promise.reject(new Error("Peer connection closed."));
    if (typeof sdp !== "string" || !/^v=0\r?\n/.test(sdp) || !/^m=/m.test(sdp)) {
      return Promise.reject(new Error("Invalid SDP: no v=0 first or no m= line"));
    }
    const type = this.state === "have-local-offer" ? "answer" : "offer";
    return applyModifiers({ type, sdp }, modifiers).then((modified) => {
      this.remote = modified.sdp;
      this.offerWire = sdp;
      this.state = this.state === "have-local-offer" ? "stable" : "have-remote-offer";
    });
  }

  hasDescription(contentType) {
    return contentType === "application/sdp";
  }

  rollbackDescription() {
    this.state = "stable";
    return Promise.resolve();
  }

  sendDtmf() {
    return false;
  }

  close() {
    this.closed = true;
  }

  offerBody(mine) {
    if (!mine.media.audio && !mine.media.video) throw new TypeError("constraints: neither audio nor video");
    const audio = mine.media.audio
      ? audioSection(mine.port, mine.codecs.map((c) => ({ pt: c.pt, codec: c })), mine.direction) : [];
    const video = mine.media.video
      ? audioSection(mine.port + 2, VIDEO.map((c) => ({ pt: c.pt, codec: c })), mine.direction, "video") : [];
    return [...audio, ...video];
  }

  // One section for each m= line of the offer on the wire (RFC 3264 6):
  // those the modifiers took out of the offer are declined.
  answerBody(mine) {
    const offer = parseSdp(this.remote);
    const wire = parseSdp(this.offerWire || this.remote);
    const sessionDir = directionOf(offer.session);
    const answered = offer.media.map((m) => ({ type: m.mline.split(" ")[0], lines: answerSection(m, sessionDir, mine) }));
    let next = 0;
    return wire.media.flatMap((w) => {
      const type = w.mline.split(" ")[0];
      if (next < answered.length && answered[next].type === type) return answered[next++].lines;
      const [, , , proto = "RTP/AVP", fmts = ""] = w.mline.match(/^m=(\S+) (\S+) (\S+) ?(.*)$/) || [];
      return rejectedSection(type.slice(2), proto, fmts.split(" ").filter(Boolean), w.attrs);
    });
  }

  // v= o= s= c= t= then the media; o='s version counts up whenever what
  // follows it changes (RFC 3264 8).
  withOrigin(media) {
    const rest = ["s=-", `c=IN IP4 ${ADDR}`, "t=0 0", ...media];
    const body = rest.join("\r\n");
    if (this.lastBody !== undefined && body !== this.lastBody) this.version += 1;
    this.lastBody = body;
    return ["v=0", `o=- ${this.sessionId} ${this.version} IN IP4 ${ADDR}`, ...rest].join("\r\n") + "\r\n";
  }
}

// Like SIP.js's web SDH: each modifier takes and returns {type, sdp}.
function applyModifiers(description, modifiers) {
  if (!modifiers || modifiers.length === 0) return Promise.resolve(description);
  return modifiers.reduce((cur, next) => cur.then(next), Promise.resolve(description)).then((modified) => {
    if (!modified || !modified.sdp || !modified.type) throw new Error("Invalid SDP.");
    return { type: modified.type, sdp: modified.sdp };
  });
}

// UserAgent option sessionDescriptionHandlerFactory.
export function sdhFactory(session) {
  return new SdpHandler(session.userAgent.getLogger("siptap.sdh"));
}
