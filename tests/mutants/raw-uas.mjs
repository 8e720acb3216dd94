// raw-uas.mjs: a small RFC 3261/3262/3264 UAS on raw sockets, written
// apart from siptap's reference UAS, with one deviation ("mutant") chosen
// on the command line. It exists for the faults SIPp cannot make (a header
// line without a colon, LF line ends, a PRACK retransmission answered
// differently, ...). tests/mutants/mutants.tsv lists the mutants.
//
//   node raw-uas.mjs MUTANT PORT [T1_MS] [udp|tcp]
//
// MUTANT "control" is the correct UAS. It listens on 127.0.0.1:PORT only,
// prints "ready" on stdout, and runs until it is killed.
//
// What it plays is chosen by the user part of the INVITE's Request-URI
// (the probe's name, tests/mutants/probes/*.lua): "rel180-183" sends a
// reliable 180 then a reliable 183; "long" holds the INVITE for 150*T1 and
// refreshes its 180; "final-early" answers 200 without waiting for the
// PRACK of a reliable 180 without SDP; anything else sends one provisional
// (reliable 183 when the INVITE has 100rel, else 180; a 183 with SDP for
// "early") then 200. Whatever the flow, the UAS follows the RFCs: 420 for
// unknown Require tags, 481 for a To tag or a CANCEL that matches nothing,
// PRACK matching by RAck, retransmissions of reliable provisionals and
// 2xx, and an answer built from the offer per RFC 3264.
import dgram from 'node:dgram';
import net from 'node:net';

const [mutant = 'control', portArg, t1Arg = '500', transport = 'udp'] =
  process.argv.slice(2);
const PORT = Number(portArg);
const T1 = Number(t1Arg);
const T2 = 8 * T1;
const HOST = '127.0.0.1';
const M = (name) => mutant === name;
const SUPPORTED = ['100rel'];

if (!PORT) {
  console.error('usage: node raw-uas.mjs MUTANT PORT [T1_MS] [udp|tcp]');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- parsing ------------------------------------------------------------

const COMPACT = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact',
  l: 'content-length', c: 'content-type', k: 'supported' };

function parse(buf) {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 4);
  const lines = head.split('\r\n');
  const start = lines.shift();
  const hdrs = [];
  for (const l of lines) {
    if (/^[ \t]/.test(l) && hdrs.length) {
      hdrs[hdrs.length - 1][1] += ' ' + l.trim();
      continue;
    }
    const i = l.indexOf(':');
    if (i < 0) continue;
    let n = l.slice(0, i).trim().toLowerCase();
    n = COMPACT[n] || n;
    hdrs.push([n, l.slice(i + 1).trim()]);
  }
  const m = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start);
  const msg = { start, hdrs, body, req: !!m };
  if (m) {
    msg.method = m[1];
    msg.uri = m[2];
  }
  return msg;
}

const hget = (msg, n) => (msg.hdrs.find((h) => h[0] === n) || [])[1];
const hall = (msg, n) => msg.hdrs.filter((h) => h[0] === n).map((h) => h[1]);
const tags = (msg, n) => hall(msg, n).flatMap((v) => v.split(','))
  .map((s) => s.trim()).filter(Boolean);
const totag = (v) => (/;\s*tag=([^;>\s]+)/i.exec(v || '') || [])[1];
const branch = (msg) => (/;\s*branch=([^;\s]+)/i.exec(hget(msg, 'via') || '')
  || [])[1] || '';
const cseq = (msg) => {
  const [n, met] = (hget(msg, 'cseq') || '').split(/\s+/);
  return { n: Number(n), met };
};
const ruser = (msg) => (/^sips?:([^@;>]+)@/.exec(msg.uri || '') || [])[1] || '';

// --- SDP (RFC 3264 answer, or our own offer) ---------------------------

const OUR_CODECS = { pcmu: 0, pcma: 8 };
const OUR_DYNAMIC = ['telephone-event', 'opus'];
const FLIP = { sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive',
  sendrecv: 'sendrecv' };

function sdpSession(version, sessId) {
  return ['v=0', `o=rawuas ${sessId} ${version} IN IP4 ${HOST}`, 's=-',
    `c=IN IP4 ${HOST}`, 't=0 0'];
}

function answerFor(offer, version, sessId) {
  const lines = offer.split(/\r?\n/).filter(Boolean);
  const media = [];
  let sessDir = 'sendrecv';
  for (const l of lines) {
    if (l.startsWith('m=')) {
      const [type, , proto, ...fmts] = l.slice(2).split(' ');
      media.push({ type, proto, fmts, attrs: [] });
    } else if (l.startsWith('a=')) {
      const a = l.slice(2);
      if (media.length) media[media.length - 1].attrs.push(a);
      else if (FLIP[a]) sessDir = a;
    }
  }
  const out = sdpSession(version, sessId);
  media.forEach((m, i) => {
    const rtpmap = {};
    const fmtp = {};
    let dir = sessDir;
    for (const a of m.attrs) {
      let x = /^rtpmap:(\d+) (.*)$/.exec(a);
      if (x) rtpmap[x[1]] = x[2];
      x = /^fmtp:(\d+) (.*)$/.exec(a);
      if (x) fmtp[x[1]] = x[2];
      if (FLIP[a]) dir = a;
    }
    const keep = m.type !== 'audio' || !/RTP\/AVP/.test(m.proto) ? [] :
      m.fmts.filter((f) => {
        const enc = (rtpmap[f] || '').split('/')[0].toLowerCase();
        if (Number(f) < 96) {
          return Object.values(OUR_CODECS).includes(Number(f));
        }
        return OUR_DYNAMIC.includes(enc);
      });
    if (!keep.length) {
      out.push(`m=${m.type} 0 ${m.proto} ${m.fmts[0]}`);
      return;
    }
    out.push(`m=${m.type} ${40000 + 2 * i} ${m.proto} ${keep.join(' ')}`);
    for (const f of keep) {
      if (rtpmap[f]) out.push(`a=rtpmap:${f} ${rtpmap[f]}`);
      else if (f === '0') out.push('a=rtpmap:0 PCMU/8000');
      else if (f === '8') out.push('a=rtpmap:8 PCMA/8000');
      if (fmtp[f]) out.push(`a=fmtp:${f} ${fmtp[f]}`);
    }
    out.push(`a=${FLIP[dir]}`);
  });
  return out;
}

function ourOffer(version, sessId) {
  return [...sdpSession(version, sessId), 'm=audio 40000 RTP/AVP 0 8',
    'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv'];
}

// The mutants that spoil an SDP that is otherwise right.
function sdpBody(lines) {
  let l = lines;
  if (M('oa-fewer-m')) {
    const second = l.findIndex((x, i) => x.startsWith('m=') &&
      l.slice(0, i).some((y) => y.startsWith('m=')));
    if (second > 0) l = l.slice(0, second);
  }
  if (M('oa-sendonly')) l = l.map((x) => (x === 'a=recvonly' ? 'a=sendonly' : x));
  if (M('dyn-no-rtpmap')) l = l.filter((x) => !/^a=rtpmap:(9[6-9]|1[01]\d|12[0-7]) /.test(x));
  return l.join('\r\n') + '\r\n';
}

// --- building and sending responses -------------------------------------

// The line end and Content-Length of everything we send, mutants included.
function serialize(start, hdrs, body, kind) {
  const h = hdrs.slice();
  if (body && !M('ctype-missing')) h.push(['Content-Type', 'application/sdp']);
  let len = Buffer.byteLength(body || '', 'latin1');
  if (M('cl-short') && body) len -= 22;
  if (!(M('cl-missing') && transport === 'tcp')) h.push(['Content-Length', String(len)]);
  let s = start;
  if (M('bad-start') && kind === 'prov') s = start.replace(/^SIP\/2\.0 (\d\d)\d /, 'SIP/2.0 $1 ');
  const lines = [s, ...h.map(([n, v]) => `${n}: ${v}`)];
  if (M('hdr-no-colon') && kind === 'prov') lines.splice(2, 0, 'X-Mutant this line has no colon');
  const eol = M('lf-only') && kind === 'prov' ? '\n' : '\r\n';
  return Buffer.from(lines.join(eol) + eol + eol + (body || ''), 'latin1');
}

function response(req, code, reason, call, extra = [], body = '', kind = '') {
  const h = [];
  for (const v of hall(req, 'via')) h.push(['Via', v]);
  h.push(['From', hget(req, 'from')]);
  let to = hget(req, 'to');
  if (!totag(to) && code > 100 && call) to += `;tag=${call.tag}`;
  h.push(['To', to]);
  h.push(['Call-ID', hget(req, 'call-id')]);
  h.push(['CSeq', hget(req, 'cseq')]);
  // 100 Trying copies the Timestamp (RFC 3261 8.2.6.1)
  const ts = hget(req, 'timestamp');
  if (code === 100 && ts && !M('trying-no-timestamp')) h.push(['Timestamp', ts]);
  if (call && code > 100 && code < 300 && cseq(req).met === 'INVITE') {
    if (!(M('rr-dropped') && code < 200)) {
      for (const v of hall(req, 'record-route')) h.push(['Record-Route', v]);
    }
    h.push(['Contact', `<sip:rawuas@${HOST}:${PORT};transport=${transport}>`]);
  }
  h.push(...extra);
  return serialize(`SIP/2.0 ${code} ${reason}`, h, body, kind);
}

// --- calls ---------------------------------------------------------------

const calls = new Map();       // Call-ID -> call
const answered = new Map();    // branch + CSeq of a non-INVITE -> response

function newCall(inv, send) {
  const call = {
    inv, send, tag: `raw${Math.floor(Math.random() * 1e9)}`,
    rseq: 1 + Math.floor(Math.random() * 2 ** 30), rel: new Map(),
    ver: 1, sessId: String(1e6 + Math.floor(Math.random() * 1e6)),
    sdp: null, final: null, acked: false, done: false, timers: new Set(),
  };
  calls.set(hget(inv, 'call-id'), call);
  return call;
}

function later(call, ms, fn) {
  const h = setTimeout(() => { call.timers.delete(h); fn(); }, ms);
  call.timers.add(h);
}

// Sends msg now and again at T1, 2*T1, ... (capped at cap) while keep(),
// for limit ms; then onGiveUp() if still keep().
function retransmit(call, msg, keep, cap, limit, onGiveUp) {
  call.send(msg);
  let gap = T1;
  let spent = 0;
  const tick = () => {
    if (!keep()) return;
    if (spent >= limit) { if (onGiveUp) onGiveUp(); return; }
    call.send(msg);
    gap = Math.min(2 * gap, cap);
    later(call, Math.min(gap, limit - spent), () => { spent += Math.min(gap, limit - spent); tick(); });
  };
  later(call, gap, () => { spent = gap; tick(); });
}

const has100rel = (inv) => [...tags(inv, 'supported'), ...tags(inv, 'require')]
  .includes('100rel');
const requires100rel = (inv) => tags(inv, 'require').includes('100rel');

// The SDP of this provisional or final response: the answer (or our
// offer) made once, repeated unchanged.
function sdpFor(call) {
  if (!call.sdp) {
    call.sdp = call.inv.body ? answerFor(call.inv.body, call.ver, call.sessId)
      : ourOffer(call.ver, call.sessId);
  }
  return sdpBody(call.sdp);
}

// A provisional response; reliable ones resolve when PRACKed.
function provisional(call, code, reason, withSdp, reliable) {
  const body = withSdp ? sdpFor(call) : '';
  if (!reliable) {
    const msg = response(call.inv, code, reason, call, [], body, 'prov');
    call.lastProv = msg;
    call.send(msg);
    return Promise.resolve();
  }
  // rseq-skip: the second reliable provisional skips one number
  if (M('rseq-skip') && call.rel.size) call.rseq++;
  const rseq = call.rseq++;
  const extra = [['Require', '100rel'], ['RSeq', String(rseq)]];
  const msg = response(call.inv, code, reason, call, extra, body, 'prov');
  call.lastProv = msg;
  return new Promise((resolve) => {
    const e = { rseq, pracked: false, resolve };
    call.rel.set(rseq, e);
    const keep = () => (!e.pracked || M('prack-no-stop')) &&
      (!call.final || M('retx-after-final')) && !call.done;
    if (M('no-prov-retx')) call.send(msg);
    else {
      retransmit(call, msg, keep, Infinity, 64 * T1, () => {
        if (!call.final && !M('no-timeout-5xx')) final(call, 504, 'Server Time-out');
      });
    }
  });
}

function final(call, code, reason, withSdp) {
  const body = withSdp ? sdpFor(call) : '';
  const msg = response(call.inv, code, reason, call, [], body, 'final');
  call.final = msg;
  if (code >= 300) {
    retransmit(call, msg, () => !call.acked && !call.done, T2, 64 * T1);
    return;
  }
  if (M('no-2xx-retx')) call.send(msg);
  else retransmit(call, msg, () => !call.acked && !call.done, T2, 64 * T1);
}

// The flows a probe can ask for by the Request-URI's user part; each
// sends the provisionals, play() then the 200. wait(): 2*T1.
const FLOWS = {
  // a reliable 180, then a reliable 183 with SDP, each after the PRACK
  // of the one before
  async 'rel180-183'(call, rel) {
    if (!rel) return FLOWS.default(call, rel);
    const p1 = provisional(call, 180, 'Ringing', false, true);
    if (!M('one-before-prack')) await p1;
    if (M('rseq-reuse')) call.rseq--;
    return provisional(call, 183, 'Session Progress', true, true);
  },
  // the INVITE held for about 150*T1: a 180 refreshed every 55*T1
  // (RFC 3261 13.3.1.1 wants one a minute: 120*T1)
  async long(call) {
    for (let i = 0; i < 3; i++) {
      if (i === 0 || !M('no-refresh')) await provisional(call, 180, 'Ringing', false, false);
      await sleep(55 * T1);
    }
  },
  // a reliable 180 without SDP, then the 200 without waiting for its
  // PRACK (allowed: R-FINAL-1 is about provisionals with SDP)
  async 'final-early'(call, rel) {
    if (!rel) return FLOWS.default(call, rel);
    provisional(call, 180, 'Ringing', false, true);
    return wait();
  },
  // early media: an unreliable 183 with the answer, the same in the 200
  async early(call) {
    await provisional(call, 183, 'Session Progress', !!call.inv.body, false);
    // early-changed: the 200 moves the early media to another port (and
    // says so with a new o= version: one deviation, not two)
    if (M('early-changed') && call.sdp) {
      call.sdp = call.sdp.map((x) => x.replace(/^m=audio \d+/, 'm=audio 41000')
        .replace(/^(o=\S+ \S+ )(\d+)/, (_, a, v) => a + (Number(v) + 1)));
    }
    return wait();
  },
  // the early dialog in full (issue 19): a reliable 183, then time for
  // the probe's PRACK with an offer, UPDATE or BYE before the 200
  async 'early-update'(call, rel) {
    await FLOWS.default(call, rel);
    return sleep(20 * T1);
  },
  async 'prack-offer'(call, rel) {
    await FLOWS.default(call, rel);
    return sleep(20 * T1);
  },
  // with 100rel a reliable 183 with SDP (to an offerless INVITE our
  // offer, RFC 3262 5), else a 180
  async default(call, rel) {
    const inv = call.inv;
    if (M('rel180-always') && !rel) return provisional(call, 180, 'Ringing', false, true);
    if (rel && !(M('unrel-to-require') && requires100rel(inv))) {
      const sdp = !(M('offerless-no-offer') && !inv.body);
      return provisional(call, 183, 'Session Progress', sdp, true);
    }
    await provisional(call, 180, 'Ringing', false, false);
    // invite-retx: time for the probe's retransmission while ringing
    return sleep(ruser(inv) === 'invite-retx' ? 10 * T1 : 2 * T1);
  },
};

function wait() {
  return sleep(2 * T1);
}

// What the UAS plays once the INVITE is accepted for processing.
async function play(call) {
  const flow = FLOWS[ruser(call.inv)] || FLOWS.default;
  await flow(call, has100rel(call.inv));
  // a pause before the 200 shows whether a PRACK stopped the
  // retransmissions: copies due at 3*T1 and 7*T1 (the first, at T1, may
  // cross the PRACK)
  await sleep(4 * T1);
  if (!call.done && !call.final) final(call, 200, 'OK', true);
}

function onInvite(msg, send) {
  const id = hget(msg, 'call-id');
  const old = calls.get(id);
  if (old && branch(old.inv) === branch(msg)) {
    // a retransmission: the latest response again (RFC 3261 17.2.1)
    if (M('invite-retx-ignored')) return;
    if (old.final) send(old.final);
    else if (old.lastProv) send(old.lastProv);
    return;
  }
  if (totag(hget(msg, 'to')) && !old) {
    const code = M('totag-501') ? [501, 'Not Implemented']
      : [481, 'Call/Transaction Does Not Exist'];
    send(response(msg, code[0], code[1], { tag: 'x' }));
    return;
  }
  const call = newCall(msg, send);
  const unknown = tags(msg, 'require').filter((x) => !SUPPORTED.includes(x));
  if (unknown.length && !M('require-accepted')) {
    const list = M('420-incomplete') ? unknown.slice(0, 1) : unknown;
    call.final = response(msg, 420, 'Bad Extension', call,
      [['Unsupported', list.join(', ')]]);
    retransmit(call, call.final, () => !call.acked, T2, 64 * T1);
    return;
  }
  send(response(msg, 100, 'Trying', null));
  play(call).catch((e) => console.error(e));
}

// A PRACK that matches an unacknowledged reliable provisional gets 200,
// any other 481 (RFC 3262 3). A retransmission never gets here: onRequest
// answers it from the transaction's memory (but for prack-retx-481, where
// it is a new PRACK for an acknowledged response, hence 481).
function onPrack(msg, reply) {
  const call = calls.get(hget(msg, 'call-id'));
  const [rseq, cs, met] = (hget(msg, 'rack') || '').split(/\s+/);
  const e = call && call.rel.get(Number(rseq));
  const fresh = e && !e.pracked && Number(cs) === cseq(call.inv).n &&
    met === 'INVITE' && totag(hget(msg, 'to')) === call.tag;
  if (fresh && M('prack-matched-481')) return reply(481, 'Call/Transaction Does Not Exist');
  if (!fresh && !(call && M('prack-unmatched-200'))) {
    return reply(481, 'Call/Transaction Does Not Exist');
  }
  // an offer in the PRACK (the INVITE's offer was answered, so this is a
  // new one): its answer in the 200 (RFC 3262 5, R-PRACK-4)
  if (fresh && msg.body && call.inv.body && !M('prack-offer-no-answer')) {
    reply(200, 'OK', [], sdpBody(renegotiate(call, msg.body)));
  } else {
    reply(200, 'OK');
  }
  if (fresh) {
    e.pracked = true;
    e.resolve();
  }
  return undefined;
}

// Our answer to a new offer: it becomes the call's SDP (a 200 repeats
// it), its o= version one up when it changed anything.
function renegotiate(call, offer) {
  const same = (a, b) => a.filter((x) => !x.startsWith('o=')).join('\n') ===
    b.filter((x) => !x.startsWith('o=')).join('\n');
  let ans = answerFor(offer, call.ver, call.sessId);
  if (call.sdp && !same(ans, call.sdp)) {
    call.ver++;
    ans = answerFor(offer, call.ver, call.sessId);
  }
  call.sdp = ans;
  return ans;
}

// UPDATE in the early or confirmed dialog (RFC 3311 5.2): an offer is
// answered in the 200, none gets a plain 200; both carry our Contact.
function onUpdate(msg, call, reply) {
  if (!call || totag(hget(msg, 'to')) !== call.tag || call.done) {
    return reply(481, 'Call/Transaction Does Not Exist');
  }
  if (M('update-405')) return reply(405, 'Method Not Allowed');
  const contact = [['Contact', `<sip:rawuas@${HOST}:${PORT};transport=${transport}>`]];
  if (!msg.body) return reply(200, 'OK', contact);
  return reply(200, 'OK', contact, sdpBody(renegotiate(call, msg.body)));
}

function onRequest(msg, send) {
  const key = `${branch(msg)} ${hget(msg, 'cseq')}`;
  if (msg.method === 'INVITE') return onInvite(msg, send);
  if (msg.method === 'ACK') {
    const call = calls.get(hget(msg, 'call-id'));
    if (call) call.acked = true;
    return undefined;
  }
  // a non-INVITE retransmission gets the same response again (17.2.2);
  // the mutant prack-retx-481 has no such memory for PRACK
  const seen = answered.get(key);
  if (seen && !(M('prack-retx-481') && msg.method === 'PRACK')) return send(seen);
  const call = calls.get(hget(msg, 'call-id'));
  const reply = (code, reason, extra = [], body = '') => {
    const r = response(msg, code, reason, null, extra, body);
    answered.set(key, r);
    send(r);
  };
  if (msg.method === 'PRACK') return onPrack(msg, reply);
  if (msg.method === 'UPDATE') return onUpdate(msg, call, reply);
  if (msg.method === 'BYE') {
    if (!call || totag(hget(msg, 'to')) !== call.tag) return reply(481, 'Call/Transaction Does Not Exist');
    // a BYE in the early dialog: 200, then 487 to the INVITE (RFC 3261
    // 15.1.2, P-BYE-1)
    if (!call.final && !M('early-bye-no-487')) {
      reply(200, 'OK');
      call.rel.forEach((e) => { e.pracked = true; });
      return final(call, 487, 'Request Terminated');
    }
    call.done = true;
    call.timers.forEach(clearTimeout);
    return reply(200, 'OK');
  }
  if (msg.method === 'CANCEL') {
    const pending = call && branch(call.inv) === branch(msg) && !call.final;
    if (!pending) return reply(481, 'Call/Transaction Does Not Exist');
    reply(200, 'OK');
    call.rel.forEach((e) => { e.pracked = true; });
    return final(call, 487, 'Request Terminated');
  }
  return reply(405, 'Method Not Allowed');
}

function onMessage(buf, send) {
  const msg = parse(buf);
  if (!msg.req) return;
  try {
    onRequest(msg, send);
  } catch (e) {
    console.error(e);
  }
}

// --- transports ------------------------------------------------------------

if (transport === 'tcp') {
  net.createServer((sock) => {
    let acc = Buffer.alloc(0);
    sock.on('data', (d) => {
      acc = Buffer.concat([acc, d]);
      for (;;) {
        while (acc.length && (acc[0] === 13 || acc[0] === 10)) acc = acc.subarray(1);
        const end = acc.indexOf('\r\n\r\n');
        if (end < 0) return;
        const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i
          .exec(acc.subarray(0, end).toString('latin1'));
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (acc.length < total) return;
        const one = acc.subarray(0, total);
        acc = acc.subarray(total);
        onMessage(one, (b) => sock.write(b));
      }
    });
    sock.on('error', () => {});
  }).listen(PORT, HOST, () => console.log('ready'));
} else {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (buf, rinfo) => onMessage(buf,
    (b) => sock.send(b, rinfo.port, rinfo.address)));
  sock.bind(PORT, HOST, () => console.log('ready'));
}
