-- The UAS's own requests: an UPDATE in the early dialog (RFC 3311 5.1:
-- only once a reliable provisional made the dialog, or the INVITE said
-- Allow: UPDATE), INFO, and the UAS hanging up with BYE.
local early = require "siptap.early"
-- Through --agent (SIP.js) inv:info and inv:bye are Session.info() and
-- bye(); SIP.js 0.21.2 has no API that sends UPDATE.
local AGENT = SIPTAP.agent and "SIP.js 0.21.2 has no API that sends " ..
  "UPDATE (its Session has bye, info, invite, message, refer)"
local REFUSED = SIPTAP.agent and "refused" or "early dialog"

test("the UAS's UPDATE after a reliable 183: a new offer, answered [P-UPD-2]",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  call:prack(r)
  local u = inv:update()
  t:is(u.status, 200, "P-UPD-2: the UAC answers the UPDATE 200")
  early.same_streams(t, u.body, 1, "with its answer")
  inv:accept()
  call:ack(call:response(200))
end)

test("the UAS's UPDATE before any reliable provisional is refused [P-UPD-2]",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  -- early media: the UAS has an SDP it could offer again
  inv:progress{ statusCode = 183 }
  call:response(183)
  t:raises(function() inv:update() end, "reliable provisional",
           "P-UPD-2: no UPDATE before the dialog may carry one")
  inv:accept()
  call:ack(call:response(200))
end)

test("Allow: UPDATE in the INVITE: the UAS's UPDATE after an unreliable 180 [P-UPD-2]",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{ sdp = true,
                               headers = { "Allow: INVITE, ACK, BYE, UPDATE" } }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  inv:accept()
  local ok = call:response(200)
  call:ack(ok)
  inv:wait("confirmed")
  local u = inv:update{ sdp = false }
  t:is(u.status, 200, "an UPDATE without an offer in the confirmed dialog")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

-- (a WebRTC offer: SIP.js in Chromium takes no other, docs/browser.md)
test("the UAS hangs up: BYE after the ACK; INFO before it", function(t)
  local call, inv = early.confirmed(t, { sdp = "webrtc" })
  local i = inv:info{ body = "Signal=5\r\nDuration=160\r\n",
                      contentType = "application/dtmf-relay" }
  t:is(i.status, 200, "INFO answered 200")
  local b = inv:bye()
  t:is(b.status, 200, "the UAC answers the UAS's BYE 200")
  t:is(inv:state(), "terminated", "the call is over")
end)

test("the UAS may not hang up with BYE in the early dialog", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  t:raises(function() inv:bye() end, REFUSED,
           "inv:bye in the early dialog is refused (RFC 3261 15)")
  inv:reject{ statusCode = 480 }
  call:ack(call:response(480))
end)
