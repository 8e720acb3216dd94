-- P-WIRE-1: every message the peer under test sends is well-formed SIP,
-- and a message siptap cannot decode is on the wire all the same
-- (m.undecodable, m.reason), never dropped.
--
-- The reference UAS answers well-formed (the first test). The hostile
-- peer then stands in for a UAS that answers the UAC's INVITE with
-- broken bytes: its messages are not the peer under test's, so the
-- rules after the test leave them alone, and these tests run the
-- P-WIRE-1 checker over them themselves (ctx.peer) to show what it
-- finds on broken input and that it passes good input.
local rules = require "siptap.rules"

test("wire: the reference UAS sends well-formed SIP [P-WIRE-1]", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  inv:accept()
  call:ack(call:response(200))
  rules.check(t, { "P-WIRE-1" }, { always = true })
end)

-- A response to the UAC's INVITE as a UAS would send it, from the
-- INVITE the reference UAS got; lines replaces (by index) or adds lines
-- of its head.
local function response(req, status, lines, body)
  local head = {
    "SIP/2.0 " .. status,
    "Via: " .. req:header("Via"),
    "From: " .. req:header("From"),
    "To: " .. req:header("To") .. ";tag=standin",
    "Call-ID: " .. req.call_id,
    "CSeq: " .. req:header("CSeq"),
    "Content-Length: " .. #(body or ""),
  }
  for k, v in pairs(lines or {}) do head[k] = v or nil end
  local out = {}
  for i = 1, 9 do if head[i] then out[#out + 1] = head[i] end end
  return table.concat(out, "\r\n") .. "\r\n\r\n" .. (body or "")
end

-- What the P-WIRE-1 checker finds on this test's wire, the hostile
-- peer's messages included.
local function wire1(t)
  local fn = rules.rules["P-WIRE-1"]
  local wire = t:wire()
  return fn({ wire = wire, calls = rules.calls(wire) }, { peer = true })
end

-- the last message the role received and could not decode
local function undecodable_at(t, role)
  local m
  for _, x in ipairs(t:wire()) do
    if x.role == role and not x.sent and x.undecodable then m = x end
  end
  return m
end

for _, tp in ipairs{ "udp", "tcp" } do
  test("wire: a response with a header line without a colon, over " .. tp
       .. ", is on the wire undecodable and fails P-WIRE-1 [P-WIRE-1]",
       function(t)
    local call = t:uac():invite{}
    local inv = t:uas():incoming()
    local peer = t:peer()
    local bad = response(inv:request(), "180 Ringing",
                         { [7] = "Ringing tone follows",
                           [8] = "Content-Length: 0" })
    peer:send(bad, { to = "uac", transport = tp })
    t:raises(function() call:response(180, { timeout = 300 }) end,
             "no 180 .*the peer sent 1 message siptap could not decode "
             .. "%(P%-WIRE%-1%): header line 7 has no colon: 'Ringing tone "
             .. "follows'", "the wait names the undecodable message")
    local m = undecodable_at(t, "uac")
    t:ok(m, "the undecodable message is on t:wire()")
    if not m then return end
    t:is(m.raw, bad, "its bytes exactly")
    t:is(m.transport, tp:upper(), "over " .. tp)
    t:is(m.reason, "header line 7 has no colon: 'Ringing tone follows'",
         "m.reason says what is wrong")
    t:is(m.status, nil, "no decoded fields")
    local v = wire1(t)
    t:is(#v, 1, "the P-WIRE-1 checker finds it")
    t:like(v[1] and v[1].why or "", "header line 7 has no colon",
           "and quotes the line")
    inv:reject{ statusCode = 486 }
    t:is(call:response(486).status, 486, "the call goes on")
  end)
end

test("wire: a response without Content-Length over TCP is on the wire, "
     .. "the connection stays [P-WIRE-1]", function(t)
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  local peer = t:peer()
  local bad = response(inv:request(), "180 Ringing", { [7] = false })
  peer:send(bad .. "SIP/2.0 183", { to = "uac", transport = "tcp" })
  t:sleep(100)
  local m = undecodable_at(t, "uac")
  t:ok(m, "the message is on t:wire()")
  t:is(m and m.raw, bad, "framed at its empty line")
  t:like(m and m.reason or "", "no Content%-Length", "m.reason says why")
  local v = wire1(t)
  t:like(v[1] and v[1].why or "", "no Content%-Length",
         "the P-WIRE-1 checker finds it")
  inv:reject{ statusCode = 486 }
  t:is(call:response(486).status, 486, "the call goes on")
end)

-- each: what to change in a good 180 sent over UDP, and the violation
-- (nil: well-formed); these reach the UAC's stack, which drops a
-- response of no transaction of its own (the Call-ID is another)
local cases = {
  { "a good response", {}, nil },
  { "a folded header line", { [2] = "Via: SIP/2.0/UDP 127.0.0.1:9\r\n"
      .. " ;branch=z9hG4bKfold" }, nil },
  { "bare LF line ends", "lf", "line 1 ends with a bare LF" },
  { "a header name that is no token", { [7] = "Bad Name: x" },
    "header line 7 has a name that is no token: 'Bad Name: x'" },
  { "Content-Length over the body", { [7] = "Content-Length: 9" },
    "Content%-Length is 9, the body has 0 bytes" },
  { "a start line not SIP/2.0", { [1] = "SIP/3.0 180 Ringing" },
    "the start line is not SIP/2%.0: 'SIP/3%.0 180 Ringing'" },
}

for _, c in ipairs(cases) do
  test("wire: the P-WIRE-1 checker on " .. c[1] .. " [P-WIRE-1]",
       function(t)
    t:uac():invite{}
    local inv = t:uas():incoming()
    local req = inv:request()
    local peer = t:peer()
    local lines = type(c[2]) == "table" and c[2] or {}
    lines[5] = "Call-ID: other-" .. req.call_id
    local bytes = response(req, "180 Ringing", lines)
    if c[2] == "lf" then bytes = bytes:gsub("\r\n", "\n") end
    peer:send(bytes, { to = "uac" })
    t:sleep(100)
    local v = wire1(t)
    if c[3] then
      t:is(#v, 1, "one violation")
      t:like(v[1] and v[1].why or "", c[3], "naming it")
    else
      t:is(#v, 0, "no violation" .. (v[1] and ": " .. v[1].why or ""))
    end
    inv:reject{ statusCode = 486 }
  end)
end

test("wire: a message cut short by the peer's close is on the wire, "
     .. "undecodable", function(t)
  local bytes = "INVITE sip:siptap@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP x"
  t:peer():send(bytes, { to = "uas", transport = "tcp", cut = true })
  t:sleep(150)
  local m = undecodable_at(t, "uas")
  t:ok(m, "what came is on t:wire()")
  t:is(m and m.raw, bytes, "its bytes exactly")
  t:like(m and m.reason or "", "closed before the message was whole",
         "m.reason says it was cut short")
end)

test("wire: bytes that are no SIP over TCP are one undecodable message",
     function(t)
  local bytes = string.char(0, 255, 1, 254, 13, 10, 0, 7):rep(8)
  t:peer():send(bytes, { to = "uas", transport = "tcp" })
  t:sleep(100)
  local m = undecodable_at(t, "uas")
  t:is(m and m.raw, bytes, "on t:wire(), all of them")
  t:like(m and m.reason or "", "no SIP request or status line",
         "m.reason says why")
end)

test("wire: a whole INVITE, then bytes that are no SIP, in one TCP write",
     function(t)
  local flows = require "siptap.flows"
  local peer = t:peer()
  local invite = flows.request(peer, {
    "INVITE sip:siptap@127.0.0.1 SIP/2.0",
    "Via: SIP/2.0/TCP PEER;branch=z9hG4bKjunk" .. math.random(1e9),
    "Max-Forwards: 70",
    "From: <sip:peer@127.0.0.1>;tag=junk",
    "To: <sip:siptap@127.0.0.1>",
    "Call-ID: junk-" .. math.random(1e9) .. "@127.0.0.1",
    "CSeq: 1 INVITE",
    "Contact: <sip:peer@PEER;transport=tcp>",
    "Content-Length: 0",
  })
  local junk = string.char(0, 255, 13, 10):rep(4)
  peer:send(invite .. junk, { to = "uas", transport = "tcp" })
  local inv = t:uas():incoming()
  t:ok(inv, "the INVITE reaches the UAS")
  local m = undecodable_at(t, "uas")
  t:is(m and m.raw, junk, "the bytes after it are on t:wire(), undecodable")
  t:like(m and m.reason or "", "takes nothing more from this connection",
         "m.reason says what became of the connection")
  inv:reject{ statusCode = 486 }
end)
