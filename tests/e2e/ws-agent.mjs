#!/usr/bin/env node
// A minimal agent (README "Writing an agent") whose UAS speaks SIP over
// WebSocket with a raw RFC 6455 client of its own (node's net and tls,
// no npm package), for tests/e2e/e2e_ws.sh. Its REGISTER goes without
// Content-Length and in two fragments, its responses in binary frames:
// what RFC 7118 and RFC 6455 allow, which siptap must take. It checks the server's
// handshake as a browser does: a 101 without Sec-WebSocket-Protocol:
// sip fails the connection, and start is refused with why.
//
// usage: node ws-agent.mjs [--hostile]
//   prints "PORT N" on stdout once it listens on 127.0.0.1.
//   --hostile: the first test's start first opens connections to the
//   url that break the protocol (garbage instead of an upgrade, an
//   upgrade without sip, a reserved opcode, an unmasked frame, a frame
//   cut short by the close, an upgrade never finished), each reported
//   to siptap as a log line with what the server answered; and a ping,
//   which must come back as a pong.
//   --wrong-user: start answers with a user its UA did not register.
import net from 'node:net';
import tls from 'node:tls';
import crypto from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const hostile = process.argv.includes('--hostile') ||
  process.argv.includes('--too-big');
// --too-big: the hostile connection is one frame that announces a
// message over siptap's limit (a loss of siptap's, not the peer's fault)
const tooBig = process.argv.includes('--too-big');
// --wrong-user: start names a user the UA did not register (siptap must
// say that no connection registered it)
const wrongUser = process.argv.includes('--wrong-user');
let hostileDone = false;

function log(...a) { process.stderr.write(`ws-agent: ${a.join(' ')}\n`); }

// --- a WebSocket client ---------------------------------------------------

function frame(op, payload, mask = true, fin = true) {
  const p = Buffer.from(payload);
  const head = [(fin ? 0x80 : 0) | op];
  const m = mask ? 0x80 : 0;
  if (p.length < 126) head.push(m | p.length);
  else head.push(m | 126, p.length >> 8, p.length & 0xff);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(p);
  if (mask) for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), mask ? key : Buffer.alloc(0), body]);
}

function open(url) {
  const u = new URL(url);
  const opts = { host: u.hostname.replace(/^\[|\]$/g, ''), port: +u.port };
  return u.protocol === 'wss:'
    ? tls.connect({ ...opts, rejectUnauthorized: false })
    : net.connect(opts);
}

function upgradeRequest(u, key, proto = 'sip') {
  return `GET / HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
    `Sec-WebSocket-Version: 13\r\n` +
    (proto ? `Sec-WebSocket-Protocol: ${proto}\r\n` : '') + '\r\n';
}

// Connects and upgrades; resolves { sock, send(text) } with onMessage
// called for each text message, rejects with why.
function wsConnect(url, onMessage) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const key = crypto.randomBytes(16).toString('base64');
    const sock = open(url);
    let buf = Buffer.alloc(0);
    let up = false;
    sock.on('error', (e) => reject(new Error(`${url}: ${e.message}`)));
    sock.on(u.protocol === 'wss:' ? 'secureConnect' : 'connect',
            () => sock.write(upgradeRequest(u, key)));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!up) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        buf = buf.subarray(end + 4);
        const accept = crypto.createHash('sha1').update(key + GUID)
          .digest('base64');
        const hdr = (n) => (head.match(new RegExp(`^${n}:\\s*(.*)$`, 'im'))
          || [])[1];
        if (!/^HTTP\/1\.1 101/.test(head)) {
          sock.destroy();
          return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        }
        if (hdr('Sec-WebSocket-Accept') !== accept) {
          sock.destroy();
          return reject(new Error('101 with a wrong Sec-WebSocket-Accept'));
        }
        if ((hdr('Sec-WebSocket-Protocol') || '').toLowerCase() !== 'sip') {
          sock.destroy();
          return reject(new Error('the server answered the upgrade ' +
            'without Sec-WebSocket-Protocol: sip (RFC 7118 4.1); ' +
            'connection failed as a browser fails it'));
        }
        up = true;
        // a message as one text frame; binary: one binary frame;
        // fragments: a text frame and a continuation (RFC 6455 5.4),
        // which siptap must join into one SIP message
        resolve({
          sock,
          send: (t) => sock.write(frame(1, t)),
          sendBinary: (t) => sock.write(frame(2, t)),
          sendFragments: (t) => {
            const cut = Math.floor(t.length / 2);
            sock.write(frame(1, t.slice(0, cut), true, false));
            sock.write(frame(0, t.slice(cut)));
          },
        });
      }
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1] & 0x7f, off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + len) return;
        const op = buf[0] & 0x0f;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (op === 9) sock.write(frame(10, payload));
        else if (op === 8) { sock.end(frame(8, payload)); return; }
        else if (op === 1 || op === 2) onMessage(payload.toString());
      }
    });
  });
}

// --- the hostile connections ----------------------------------------------

function rawSession(url, steps) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const sock = open(url);
    let got = Buffer.alloc(0);
    const finish = () => { sock.destroy(); resolve(got); };
    sock.on('error', finish);
    sock.on('close', finish);
    sock.on('data', (d) => { got = Buffer.concat([got, d]); });
    sock.on('connect', async () => {
      for (const s of steps) {
        if (typeof s === 'number') await new Promise((r) => setTimeout(r, s));
        else if (s === 'end') sock.end();
        else sock.write(typeof s === 'function' ? s(u) : s);
      }
    });
    setTimeout(finish, 1500);
  });
}

function answerOf(buf) {
  const s = buf.toString('latin1');
  if (s.startsWith('HTTP/1.1')) {
    const line = s.split('\r\n')[0];
    const rest = buf.subarray(s.indexOf('\r\n\r\n') + 4);
    return line + (rest.length ? ` then ${answerOf(rest)}` : '');
  }
  if (buf.length >= 4 && (buf[0] & 0x0f) === 8) return `close ${buf.readUInt16BE(2)}`;
  if (buf.length >= 2 && (buf[0] & 0x0f) === 10) {
    return `pong '${buf.subarray(2, 2 + (buf[1] & 0x7f)).toString()}'`;
  }
  return buf.length ? `${buf.length} bytes` : 'nothing';
}

async function hostileRun(url, note) {
  const key = () => crypto.randomBytes(16).toString('base64');
  const cases = [
    ['garbage instead of an upgrade', ['HELLO this is no HTTP\r\n\r\n', 300]],
    ['an upgrade without sip', [(u) => upgradeRequest(u, key(), 'chat'), 300]],
    ['a reserved opcode', [(u) => upgradeRequest(u, key()), 100,
      frame(3, 'junk'), 300]],
    ['an unmasked frame', [(u) => upgradeRequest(u, key()), 100,
      frame(1, 'OPTIONS sip:x SIP/2.0\r\n\r\n', false), 300]],
    ['a message cut short by the close', [(u) => upgradeRequest(u, key()),
      100, frame(1, 'INVITE sip:siptap@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS x;'
        + 'branch=z9hG4bKcut\r\n\r\n').subarray(0, 30), 100, 'end']],
    ['an upgrade never finished', ['GET / HTTP/1.1\r\nHost: x\r\n', 200, 'end']],
    ['a ping', [(u) => upgradeRequest(u, key()), 100, frame(9, 'are you there'),
      200, 'end']],
  ];
  const big = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 0x50, 0, 0, 1, 2, 3, 4]);
  const run = tooBig ? [['a 5 MB message', [(u) => upgradeRequest(u, key()), 100,
    big, 300]]] : cases;
  for (const [name, steps] of run) {
    const got = await rawSession(url, steps);
    note(`hostile: ${name}: server answered ${answerOf(got)}`);
  }
}

// --- SIP ------------------------------------------------------------------

function parse(text) {
  const he = text.indexOf('\r\n\r\n');
  const head = text.slice(0, he).split('\r\n');
  const body = text.slice(he + 4);
  const start = head.shift();
  const hdrs = head.map((l) => { const i = l.indexOf(':'); return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()]; });
  const get = (n) => (hdrs.find(([k]) => k === n) || [])[1];
  const m = start.match(/^([A-Z]+) (\S+) SIP\/2\.0$/);
  return { start, method: m && m[1], hdrs, get, body };
}

function response(req, code, reason, toTag, extra = '', body = '') {
  const vias = req.hdrs.filter(([k]) => k === 'via' || k === 'v').map(([, v]) => `Via: ${v}\r\n`).join('');
  let to = req.get('to') || req.get('t');
  if (toTag && !/;tag=/.test(to)) to += `;tag=${toTag}`;
  return `SIP/2.0 ${code} ${reason}\r\n${vias}From: ${req.get('from') || req.get('f')}\r\n` +
    `To: ${to}\r\nCall-ID: ${req.get('call-id') || req.get('i')}\r\nCSeq: ${req.get('cseq')}\r\n` +
    extra + (body ? 'Content-Type: application/sdp\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function answerSdp(offer) {
  const m = offer.match(/^m=audio \d+ (\S+) (\d+)/m);
  const pt = m ? m[2] : '0';
  const rtpmap = (offer.match(new RegExp(`^a=rtpmap:${pt} .*$`, 'm')) || [''])[0];
  return `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n` +
    `m=audio 40000 ${m ? m[1] : 'RTP/AVP'} ${pt}\r\n${rtpmap ? rtpmap + '\r\n' : ''}`;
}

// --- one test: one control connection -------------------------------------

function session(ctl) {
  let ws = null;
  const calls = [];
  const user = `ws${crypto.randomBytes(3).toString('hex')}`;
  const send = (o) => ctl.write(JSON.stringify({ jsonrpc: '2.0', ...o }) + '\n');
  const note = (message) => { log(message); send({ method: 'log', params: { level: 'info', message } }); };

  function onSip(text) {
    const msg = parse(text);
    if (!msg.method) return;   // a response: the REGISTER's
    if (msg.method === 'INVITE') {
      const n = calls.length;
      calls.push({ req: msg, tag: crypto.randomBytes(4).toString('hex') });
      send({ method: 'invite', params: { call: n, callId: msg.get('call-id') || msg.get('i') } });
    }
    else if (msg.method === 'BYE') ws.send(response(msg, 200, 'OK'));
    else if (msg.method === 'CANCEL') {
      ws.send(response(msg, 200, 'OK'));
      const c = calls.find((x) => x.req.get('call-id') === msg.get('call-id'));
      if (c) ws.send(response(c.req, 487, 'Request Terminated', c.tag));
    }
    else if (msg.method !== 'ACK') ws.send(response(msg, 501, 'Not Implemented'));
  }

  async function start(p) {
    const url = p.sip && p.sip.url;
    if (!url) throw new Error('start: no sip.url (run siptap with --transport ws|wss)');
    if (hostile && !hostileDone) { hostileDone = true; await hostileRun(url, note); }
    ws = await wsConnect(url, (t) => registered(t));
    const host = new URL(url).hostname;
    let registered;
    const ok = new Promise((resolve, reject) => {
      registered = (t) => {
        const r = parse(t);
        if (r.method) return onSip(t);
        if (/^SIP\/2\.0 200/.test(r.start)) { registered = onSip; resolve(); }
        else reject(new Error(`REGISTER answered ${r.start}`));
      };
    });
    // no Content-Length: a WebSocket message is the whole SIP message
    // (RFC 7118 5.1); in two fragments
    ws.sendFragments(`REGISTER sip:${host} SIP/2.0\r\nVia: SIP/2.0/WS agent.invalid;branch=z9hG4bK${crypto.randomBytes(6).toString('hex')}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:${user}@${host}>;tag=${crypto.randomBytes(4).toString('hex')}\r\n` +
      `To: <sip:${user}@${host}>\r\nCall-ID: ${crypto.randomBytes(8).toString('hex')}\r\nCSeq: 1 REGISTER\r\n` +
      `Contact: <sip:${user}@agent.invalid;transport=ws>;expires=600\r\n\r\n`);
    await ok;
    return { transport: 'ws', uri: `sip:${wrongUser ? 'nobody' : user}@${host}`, t1: p.t1 || 500, agent: 'ws-agent (raw RFC 6455 client)' };
  }

  function respond(call, code, reason, sdp) {
    const c = calls[call];
    if (!c) throw new Error(`no call ${call}`);
    const contact = `Contact: <sip:${user}@agent.invalid;transport=ws>\r\n`;
    // responses in binary frames (RFC 7118 4.2 allows either)
    ws.sendBinary(response(c.req, code, reason, c.tag, code < 300 ? contact : '', sdp || ''));
    return { settled: true };
  }

  const methods = {
    start,
    configure: () => ({ t1: 500 }),
    queued: () => ({ queued: 0 }),
    progress: ({ call, options = {} }) => respond(call, options.statusCode || 180, options.reasonPhrase || 'Ringing'),
    accept: ({ call }) => respond(call, 200, 'OK', calls[call] && calls[call].req.body ? answerSdp(calls[call].req.body) : ''),
    reject: ({ call, options = {} }) => respond(call, options.statusCode || 480, options.reasonPhrase || 'Temporarily Unavailable'),
  };

  let rx = '';
  ctl.on('data', async (d) => {
    rx += d;
    let nl;
    while ((nl = rx.indexOf('\n')) >= 0) {
      const line = rx.slice(0, nl);
      rx = rx.slice(nl + 1);
      let m;
      try { m = JSON.parse(line); } catch { continue; }
      if (m.id === undefined || !m.method) continue;
      try {
        const h = methods[m.method];
        if (!h) throw new Error(`unknown method ${m.method}`);
        send({ id: m.id, result: await h(m.params || {}) });
      } catch (e) {
        send({ id: m.id, error: { code: -32000, message: e.message } });
      }
    }
  });
  ctl.on('close', () => { if (ws) ws.sock.destroy(); });
  ctl.on('error', () => {});
}

const server = net.createServer(session);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
