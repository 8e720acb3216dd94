-- A lossy UDP link (docs/network.md): what RFC 3261's transactions and
-- RFC 3262's retransmissions are for. t:link drops, duplicates or
-- delays chosen messages on their way in; siptap's UAC retransmits its
-- requests (Timer A/E) and re-sends the ACK for a copy of the 200, the
-- UAS retransmits its reliable provisionals and its 200. The rules run
-- after each test on what the UAS got and sent.

-- Copies of a message on the wire, as sent by role
local flows = require "siptap.flows"

local function sent(t, role, what)
  local n = 0
  for _, m in ipairs(t:wire()) do
    if m.role == role and m.sent and (m.method == what or
       (m.status and tostring(m.status) .. " " .. m.cseq_method == what)) then
      n = n + 1
    end
  end
  return n
end

-- INVITE with 100rel, a reliable 183 and its PRACK; the call, the UAS's
-- side of it, and the PRACK's final response
local function prack_183(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  return call, inv, call:prack(call:response(183))
end

-- The 200 to the INVITE, and its ACK
local function answer(call, inv)
  inv:accept()
  call:ack(call:response(200))
end

test("a lost reliable 183 is rescued by its retransmission [R-RETX-1]",
     function(t)
  flows.direct_udp(t)
  t:link{ drop = "183", to = "uac" }
  -- one INVITE: a copy of it would get the 183 again (P-RETX-1) and
  -- hide whether the UAS retransmits on its own
  local call = t:uac():invite{ supported = "100rel", sdp = true,
                               retransmit = false }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local got, r = pcall(call.response, call, 183, { timeout = 16 * t:t1() })
  t:ok(got, "R-RETX-1: the lost 183 came again")
  if not got then return end
  t:ok(r.retransmission, "R-RETX-1: the 183 the UAC got is the retransmission")
  t:is(call:prack(r).status, 200, "R-PRACK-1: its PRACK answered 200")
  answer(call, inv)
  t:sleep(t:t1())
  t:is(inv:state(), "confirmed", "the call is confirmed")
end)

test("a lost PRACK is retransmitted by the UAC (Timer E) and answered [R-PRACK-1]",
     function(t)
  flows.direct_udp(t)
  t:link{ drop = "PRACK", to = "uas" }
  local call, inv, pr = prack_183(t)
  t:is(pr.status, 200, "R-PRACK-1: the copy of the PRACK got 200")
  t:is(sent(t, "uas", "200 PRACK"), 1, "the UAS answered the one it got")
  answer(call, inv)
end)

test("the 200 to a PRACK lost: each PRACK copy is answered the same [R-PRACK-3]",
     function(t)
  flows.direct_udp(t)
  t:link{ drop = "200 PRACK", to = "uac" }
  local call, inv, pr = prack_183(t)
  t:is(pr.status, 200, "R-PRACK-3: the retransmitted PRACK got 200 again")
  t:ok(sent(t, "uac", "PRACK") >= 2, "the UAC sent the PRACK again")
  answer(call, inv)
end)

test("a lost 200 OK is retransmitted until the ACK [P-2XX-1]", function(t)
  flows.direct_udp(t)
  t:link{ drop = "200 INVITE", to = "uac" }
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:accept()
  local got, ok = pcall(call.response, call, 200, { timeout = 8 * t:t1() })
  t:ok(got, "P-2XX-1: the lost 200 came again")
  if not got then return end
  call:ack(ok)
  t:sleep(t:t1())
  t:is(inv:state(), "confirmed", "the ACK of the copy confirmed the call")
end)

test("a lost ACK: the 200 again, the ACK again, the call confirmed [P-2XX-1]",
     function(t)
  flows.direct_udp(t)
  t:link{ drop = "ACK", to = "uas" }
  local _, inv = flows.answered(t)
  t:sleep(4 * t:t1())
  t:ok(sent(t, "uas", "200 INVITE") >= 2, "P-2XX-1: the UAS sent the 200 again")
  t:is(inv:state(), "confirmed", "the UAC's second ACK confirmed the call")
end)

test("a duplicated INVITE gets the latest provisional again [P-RETX-1]",
     function(t)
  flows.direct_udp(t)
  t:link{ duplicate = "INVITE", to = "uas", ms = t:t1() }
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  t:sleep(2 * t:t1())
  t:ok(sent(t, "uas", "180 INVITE") >= 2,
       "P-RETX-1: the copy of the INVITE got the 180 again")
  answer(call, inv)
end)

test("20% random loss across the reliable 183 flow: the call is confirmed",
     function(t)
  flows.direct_udp(t)
  t:link{ loss = 20 }
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming{ timeout = 64 * t:t1() }
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183, { timeout = 64 * t:t1() })
  t:is(call:prack(r, { timeout = 64 * t:t1() }).status, 200,
       "R-PRACK-1: the PRACK answered 200")
  inv:accept()
  call:ack(call:response(200, { timeout = 64 * t:t1() }))
  local deadline = 64 * t:t1()
  while inv:state() ~= "confirmed" and deadline > 0 do
    t:sleep(t:t1())
    deadline = deadline - t:t1()
  end
  t:is(inv:state(), "confirmed", "the call is confirmed")
  t:is(call:bye{ timeout = 64 * t:t1() }.status, 200, "the BYE answered 200")
end)
