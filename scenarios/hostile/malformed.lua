-- Messages of the kinds RFC 4475 collects, written here, sent by a
-- hostile peer at the UAS: each gets a sensible answer or is dropped,
-- never a crash or a hang, and the next call works.
local flows = require "siptap.flows"

local function invite(peer, extra, body, cl)
  local lines = {
    "INVITE sip:siptap@127.0.0.1 SIP/2.0",
    "Via: SIP/2.0/UDP PEER;branch=z9hG4bK" .. math.random(1e9) .. ";rport",
    "Max-Forwards: 70",
    "From: <sip:peer@127.0.0.1>;tag=h0stile",
    "To: <sip:siptap@127.0.0.1>",
    "Call-ID: hostile-" .. math.random(1e9) .. "@127.0.0.1",
    "CSeq: 1 INVITE",
    "Contact: <sip:peer@PEER>",
  }
  for _, h in ipairs(extra or {}) do lines[#lines + 1] = h end
  if cl ~= false then
    lines[#lines + 1] = "Content-Length: " .. (cl or #(body or ""))
  end
  return flows.request(peer, lines, body)
end

-- responses the UAS sent to the peer
local function answers(t)
  local out = {}
  for _, m in ipairs(t:wire()) do
    if m.role == "peer" and not m.sent and m.status then out[#out + 1] = m end
  end
  return out
end

-- (libre 1.1.0 reads UDP datagrams of up to 8 KB; RFC 3261 18.1.1 sends
-- anything over 1300 bytes by TCP anyway)
test("hostile: folded and very long headers are read [P-COPY-1]", function(t)
  local peer = t:peer()
  peer:send(invite(peer, {
    "Subject: a subject\r\n  folded over\r\n\tthree lines",
    "X-Long: " .. ("x"):rep(6000),
  }))
  local inv = t:uas():incoming()
  t:like(inv:request():header("Subject") or "", "folded", "folded header read")
  t:is(#(inv:request():header("X-Long") or ""), 6000, "6000-byte header read")
  inv:progress{ statusCode = 180 }
  t:sleep(50)
  t:is((answers(t)[1] or {}).status, 180, "the 180 went back to the peer")
  inv:reject{ statusCode = 486 }
  flows.basic_call(t)
end)

test("hostile: an escaped Request-URI and an unknown scheme in headers", function(t)
  local peer = t:peer()
  peer:send(invite(peer, { "Reply-To: <xyz:unknown@example.invalid>",
                           "X-Escaped: sip:%61lice@127.0.0.1" }))
  local inv = t:uas():incoming()
  t:ok(inv, "accepted")
  inv:reject{ statusCode = 404 }
  flows.basic_call(t)
end)

test("hostile: an unknown method gets 501", function(t)
  local peer = t:peer()
  peer:send(flows.request(peer, {
    "FROBNICATE sip:siptap@127.0.0.1 SIP/2.0",
    "Via: SIP/2.0/UDP PEER;branch=z9hG4bKfrob1;rport",
    "From: <sip:peer@127.0.0.1>;tag=x", "To: <sip:siptap@127.0.0.1>",
    "Call-ID: frob@127.0.0.1", "CSeq: 1 FROBNICATE", "Max-Forwards: 70",
    "Content-Length: 0" }))
  t:sleep(100)
  t:is((answers(t)[1] or {}).status, 501, "501 Not Implemented")
  flows.basic_call(t)
end)

test("hostile: no Content-Length over UDP is read to the end", function(t)
  local peer = t:peer()
  peer:send(invite(peer, {}, nil, false))
  local inv = t:uas():incoming()
  t:ok(inv, "accepted (RFC 3261 18.3: optional over UDP)")
  inv:reject{ statusCode = 486 }
  flows.basic_call(t)
end)

test("hostile: Content-Length larger than the body", function(t)
  local peer = t:peer()
  peer:send(invite(peer, { "Content-Type: text/plain" }, "short", 5000))
  t:sleep(100)
  t:pass("siptap is still here")
  flows.basic_call(t)
end)

test("hostile: Content-Length smaller than the body", function(t)
  local peer = t:peer()
  peer:send(invite(peer, { "Content-Type: text/plain" },
                   "a body longer than declared", 5))
  t:sleep(100)
  flows.basic_call(t)
end)

test("hostile: a 64 KB message over UDP and over TCP", function(t)
  local peer = t:peer()
  local big = invite(peer, { "X-Big: " .. ("b"):rep(64 * 1024 - 600) })
  peer:send(big)
  peer:send(big, { transport = "tcp" })
  t:sleep(200)
  t:pass("siptap is still here")
  flows.basic_call(t)
end)

test("hostile: a TCP stream cut mid-message", function(t)
  local peer = t:peer()
  local msg = invite(peer, {}, "v=0\r\n", nil)
  peer:send(msg:sub(1, #msg // 2), { transport = "tcp", cut = true })
  t:sleep(100)
  flows.basic_call(t)
end)

test("hostile: a flood of 300 copies of one INVITE [P-RETX-1]", function(t)
  local peer = t:peer()
  local msg = invite(peer)
  peer:send(msg)
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  for _ = 1, 300 do peer:send(msg) end
  t:sleep(300)
  local n = 0
  for _, a in ipairs(answers(t)) do
    if a.status == 180 then n = n + 1 end
  end
  t:ok(n > 100, ("each copy answered with the 180 (%d answers)"):format(n))
  inv:reject{ statusCode = 486 }
  flows.basic_call(t)
end)
