-- tests/mutants/probes/probes.lua: the probes that tests/e2e/e2e_mutants.sh
-- runs against each mutant UAS with `siptap run --target ADDR:PORT
-- --filter "probe NAME:"`. Remote UAS mode: they only send and expect;
-- the general rules (siptap.rules M.general) judge the UAS's bytes after
-- each test. Every probe is a correct UAC: a correct UAS passes them all
-- (the control, raw-uas.mjs control), and a failing rule point is the
-- UAS's fault.
--
-- The probe's name is the user part of the Request-URI, so that one UAS
-- process that plays several flows (raw-uas.mjs) knows which the probe
-- wants. The SIPp mutants play one flow whatever the URI.

-- An INVITE to sip:FLOW@<target>; opts as uac:invite takes them.
local function invite(t, flow, opts)
  local uac = t:uac()
  opts = opts or {}
  opts.ruri = "sip:" .. flow .. "@" .. uac:target()
  return uac:invite(opts)
end

-- The next response other than 100; a reliable provisional (RSeq) is
-- PRACKed (after delay ms, if given) unless noprack, and its PRACK must
-- get 200.
local function next_resp(t, call, noprack, delay)
  local r = call:response()
  while r.status == 100 do r = call:response() end
  if r:header("RSeq") and r.status < 200 and not noprack then
    if delay then t:sleep(delay) end
    t:is(call:prack(r).status, 200, r.status .. " PRACKed: PRACK answered 200")
  end
  return r
end

-- Provisionals (PRACKed when reliable) until the final response.
local function final(t, call, first)
  local r = first or next_resp(t, call)
  while r.status < 200 do r = next_resp(t, call) end
  return r
end

-- ACK for the 200, then a BYE answered 200.
local function finish(t, call, ok)
  t:is(ok.status, 200, "the INVITE is answered 200")
  call:ack(ok)
  t:is(call:bye().status, 200, "BYE answered 200")
end

-- The last message of the wire that pred accepts.
local function last_on_wire(t, pred)
  local found
  for _, m in ipairs(t:wire()) do
    if pred(m) then found = m end
  end
  return found
end

-- Polls the wire for a response to a request sent with send_raw (the
-- call API knows only its own calls); nil after ms.
local function raw_response(t, call_id, method, ms)
  for _ = 1, ms // 20 do
    local r = last_on_wire(t, function(m)
      return not m.sent and not m.request and m.call_id == call_id and
        m.cseq_method == method and m.status >= 200
    end)
    if r then return r end
    t:sleep(20)
  end
end

-- The INVITE this test's UAC sent, as bytes.
local function sent_invite(t, call)
  return last_on_wire(t, function(m)
    return m.sent and m.request and m.method == "INVITE" and
      m.call_id == call:call_id()
  end).raw
end

-- A probe that is one call from INVITE to BYE: only the flow, its
-- INVITE options and the rules over it differ.
local function whole_call(flow, desc, opts)
  test("probe " .. flow .. ": " .. desc, function(t)
    local call = invite(t, flow, opts)
    finish(t, call, final(t, call))
  end)
end

-- The sent INVITE as a new transaction of a new call (Call-ID cid, a
-- fresh branch) for send_raw; the method becomes met, without a body
-- unless met is INVITE.
local function raw_copy(t, call, cid, met)
  local raw = sent_invite(t, call)
    :gsub("\r\nCall%-ID:[^\r]*", "\r\nCall-ID: " .. cid, 1)
    :gsub("branch=z9hG4bK[%w%-%.]*", "branch=z9hG4bK" .. cid:gsub("%W", ""), 1)
  if met == "INVITE" then return raw end
  return (raw:gsub("^INVITE ", met .. " ")
    :gsub("\r\nCSeq: (%d+) INVITE", "\r\nCSeq: %1 " .. met, 1)
    :gsub("\r\nContent%-Type:[^\r]*", "", 1)
    :gsub("\r\nContent%-Length:.*$", "\r\nContent-Length: 0\r\n\r\n"))
end

-- An offer with one change to the audio line or the media sections.
local function offer(media)
  return "v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" ..
    "c=IN IP4 127.0.0.1\r\nt=0 0\r\n" .. media
end

test("probe rel183: reliable 183 with SDP, PRACK, 200, ACK, BYE", function(t)
  local call = invite(t, "rel183", { supported = "100rel", sdp = true })
  local r = next_resp(t, call)
  t:is(r.status, 183, "first a 183")
  t:ok(r:header("RSeq"), "the 183 is reliable")
  finish(t, call, final(t, call))
end)

-- Each PRACK 2*T1 late: what the UAS sends before it is then plainly
-- before the PRACK, not a matter of which datagram was read first.
test("probe rel180-183: reliable 180, then reliable 183", function(t)
  local call = invite(t, "rel180-183", { supported = "100rel", sdp = true })
  local r = next_resp(t, call, false, 2 * t:t1())
  t:is(r.status, 180, "first a 180")
  r = next_resp(t, call, false, 2 * t:t1())
  t:is(r.status, 183, "then a 183")
  finish(t, call, final(t, call, r))
end)

whole_call("unrel180", "INVITE without 100rel, 180, 200", { sdp = true })

-- The Record-Route URIs are the UAS's own address (loopback only): the
-- in-dialog requests follow the route set to it.
test("probe headers: INVITE with Timestamp and two Record-Route lines",
     function(t)
  local rr = "Record-Route: <sip:" .. t:uac():target() .. ";lr;x-proxy="
  local call = invite(t, "headers", { supported = "100rel", sdp = true,
    headers = { "Timestamp: 54.2", rr .. "1>", rr .. "2>" } })
  finish(t, call, final(t, call))
end)

whole_call("require-100rel", "INVITE with Require: 100rel", { require = "100rel", sdp = true })

test("probe invite-retx: the INVITE retransmitted while ringing", function(t)
  local call = invite(t, "invite-retx", { sdp = true })
  local r = next_resp(t, call)
  call:retransmit()
  t:sleep(3 * t:t1())
  finish(t, call, final(t, call, r))
end)

test("probe prack-wrong: a PRACK whose RAck matches nothing", function(t)
  local call = invite(t, "prack-wrong", { supported = "100rel", sdp = true })
  local r = next_resp(t, call, true)
  local rseq = tonumber(r:header("RSeq") or "") or 1
  t:is(call:prack(r, { rseq = (rseq + 1000) % 2147483648 }).status, 481,
       "PRACK with an RSeq never sent: 481")
  t:is(call:prack(r).status, 200, "then the right PRACK: 200")
  finish(t, call, final(t, call))
end)

test("probe prack-retx: a PRACK retransmitted", function(t)
  local call = invite(t, "prack-retx", { supported = "100rel", sdp = true })
  next_resp(t, call)
  local prack = last_on_wire(t, function(m)
    return m.sent and m.request and m.method == "PRACK"
  end)
  -- the same bytes again, from the UAC's socket: a retransmission
  t:uac():send_raw(prack.raw)
  t:sleep(3 * t:t1())
  local answers = {}
  for _, m in ipairs(t:wire()) do
    if not m.sent and not m.request and m.cseq_method == "PRACK" then
      answers[#answers + 1] = m.status
    end
  end
  t:is(#answers, 2, "both copies of the PRACK answered")
  t:is(answers[2], answers[1], "the copy gets the same answer")
  finish(t, call, final(t, call))
end)

test("probe ack-late: the ACK for the 200 withheld for 16*T1", function(t)
  local call = invite(t, "ack-late", { supported = "100rel", sdp = true })
  local ok = final(t, call)
  t:sleep(16 * t:t1())
  local copies = 0
  for _, r in ipairs(call:responses()) do
    if r.status == 200 then copies = copies + 1 end
  end
  -- due at T1, 3*T1, 7*T1 and 15*T1 (T2 = 8*T1 or more): 3 at least
  t:ok(copies >= 3, "the 200 resent while the ACK is withheld (" ..
       copies .. " copies)")
  finish(t, call, ok)
end)

test("probe slow-prack: the PRACK sent after 8*T1", function(t)
  local call = invite(t, "slow-prack", { supported = "100rel", sdp = true })
  local r = next_resp(t, call, true)
  t:sleep(8 * t:t1())
  t:is(call:prack(r).status, 200, "late PRACK answered 200")
  finish(t, call, final(t, call))
end)

test("probe no-prack: a reliable 183 never PRACKed", function(t)
  local call = invite(t, "no-prack", { supported = "100rel", sdp = true })
  next_resp(t, call, true)
  local got, f = pcall(final, t, call)
  if not got then
    -- a UAC gives up on an INVITE that hangs: CANCEL
    t:fail("a final response within 100*T1", f)
    call:cancel()
    return
  end
  t:ok(f.status >= 500 and f.status < 600, "a 5xx after 64*T1")
  call:ack(f)
end)

test("probe final-early: 200 before the PRACK of a reliable 180 without SDP",
     function(t)
  local call = invite(t, "final-early", { supported = "100rel", sdp = true })
  local r = next_resp(t, call, true)
  local ok = call:response(200)
  -- long enough for two retransmissions of the 180 that should not come
  t:sleep(10 * t:t1())
  t:is(call:prack(r).status, 200, "PRACK after the 200 still answered 200")
  finish(t, call, ok)
end)

whole_call("early", "unreliable 183 with SDP (early media), 200", { sdp = true })

whole_call("offerless", "INVITE without SDP, 100rel", { supported = "100rel" })

test("probe long: the UAS holds the INVITE for 150*T1", function(t)
  local call = invite(t, "long", { sdp = true })
  local r = call:response(nil, { timeout = 200 * t:t1() })
  while r.status < 200 do r = call:response(nil, { timeout = 200 * t:t1() }) end
  finish(t, call, r)
end)

test("probe require-unknown: Require: of two unknown option tags", function(t)
  local call = invite(t, "require-unknown", { supported = "100rel",
    require = "x-siptap-foo, x-siptap-bar", sdp = true })
  local f = final(t, call)
  t:is(f.status, 420, "420 Bad Extension")
  local u = f:header("Unsupported") or ""
  t:like(u, "x%-siptap%-foo", "Unsupported names x-siptap-foo")
  t:like(u, "x%-siptap%-bar", "Unsupported names x-siptap-bar")
  call:ack(f)
  if f.status == 200 then call:bye() end
end)

test("probe to-tag: an INVITE whose To tag matches no dialog", function(t)
  -- a first, normal call gives the INVITE bytes to start from
  local call = invite(t, "to-tag", { supported = "100rel", sdp = true })
  finish(t, call, final(t, call))
  local cid = "notag" .. math.random(1, 1e9) .. "@probe"
  local function stray_tag(raw)
    return (raw:gsub("\r\nTo:([^\r]*)", "\r\nTo:%1;tag=nodialog", 1))
  end
  t:uac():send_raw(stray_tag(raw_copy(t, call, cid, "INVITE")))
  local r = raw_response(t, cid, "INVITE", 40 * t:t1())
  t:is(r and r.status, 481, "481 Call/Transaction Does Not Exist")
  if r then
    -- the ACK for a non-2xx: the INVITE's branch, the response's To
    t:uac():send_raw(stray_tag(raw_copy(t, call, cid, "ACK")))
  end
end)

test("probe cancel-none: a CANCEL that matches no transaction", function(t)
  local call = invite(t, "cancel-none", { supported = "100rel", sdp = true })
  finish(t, call, final(t, call))
  local cid = "nocancel" .. math.random(1, 1e9) .. "@probe"
  t:uac():send_raw(raw_copy(t, call, cid, "CANCEL"))
  local r = raw_response(t, cid, "CANCEL", 40 * t:t1())
  t:is(r and r.status, 481, "481 Call/Transaction Does Not Exist")
end)

whole_call("sdp-sendonly", "a sendonly offer", { supported = "100rel", sdp = offer(
    "m=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n") })

whole_call("sdp-two-m", "an offer of audio and video", { supported = "100rel", sdp = offer(
    "m=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" ..
    "m=video 51372 RTP/AVP 31\r\na=rtpmap:31 H261/90000\r\n") })

whole_call("sdp-dynpt", "an offer with dynamic payload types", { supported = "100rel", sdp = offer(
    "m=audio 49170 RTP/AVP 96 0 101\r\na=rtpmap:96 opus/48000/2\r\n" ..
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" ..
    "a=fmtp:101 0-16\r\n") })

-- The early dialog (issue 19): an offer in the PRACK, UPDATE, BYE.
local function early_offer(port)
  return offer(("m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"):format(port))
end

test("probe prack-offer: an offer in the PRACK of a reliable 183", function(t)
  local call = invite(t, "prack-offer", { supported = "100rel", sdp = true })
  local r = next_resp(t, call, true)
  t:is(r.status, 183, "first a 183")
  if not r:header("RSeq") then return end
  local pr = call:prack(r, { sdp = early_offer(49180) })
  t:is(pr.status, 200, "the PRACK with an offer answered 200")
  finish(t, call, final(t, call))
end)

test("probe early-update: UPDATE with an offer in the early dialog", function(t)
  local call = invite(t, "early-update", { supported = "100rel", sdp = true })
  local r = next_resp(t, call)
  t:is(r.status, 183, "first a 183")
  local u = call:update(r, { sdp = early_offer(49190) })
  t:is(u.status, 200, "the UPDATE answered 200")
  finish(t, call, final(t, call))
end)

test("probe early-bye: BYE in the early dialog after a 180", function(t)
  local call = invite(t, "early-bye", { sdp = true })
  local r = next_resp(t, call)
  t:is(r.status, 180, "first a 180")
  t:is(call:bye(r).status, 200, "the BYE in the early dialog answered 200")
  local f = call:response(nil, { timeout = 40 * t:t1() })
  t:is(f.status, 487, "then 487 to the INVITE")
  call:ack(f)
end)
