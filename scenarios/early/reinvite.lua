-- re-INVITE after the ACK (RFC 3261 14, RFC 3264 8): an offer is
-- answered in the 200; without one the 200 offers and the ACK answers.
-- A re-INVITE while the first INVITE is still pending gets 500 with
-- Retry-After (RFC 3261 14.2).
local early = require "siptap.early"

test("re-INVITE with an offer: the answer in its 200", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:accept()
  local ok = call:response(200)
  call:ack(ok)
  inv:wait("confirmed")
  local re = call:reinvite(ok, { sdp = early.offer{ port = 40070 } })
  t:is(re.status, 200, "re-INVITE answered 200")
  early.same_streams(t, re.body, 1, "with the answer")
  call:ack(re)
  local got = inv:next_request("INVITE")
  t:is(got.cseq, re.cseq, "inv:next_request: the UAS saw the re-INVITE")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("re-INVITE without an offer: the 200 offers, the ACK answers",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:accept()
  local ok = call:response(200)
  call:ack(ok)
  inv:wait("confirmed")
  local re = call:reinvite(ok)
  t:is(re.status, 200, "offerless re-INVITE answered 200")
  t:ok(early.taken(re.body) >= 1, "the 200 carries an offer")
  call:ack(re, { sdp = early.answer(re.body) })
  -- the exchange is closed by the ACK's answer: an UPDATE offer is
  -- taken now
  local u = call:update(ok, { sdp = early.offer{ port = 40072 } })
  t:ok(u.status ~= 491, "an UPDATE after it is no glare (not 491)")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("re-INVITE while the INVITE is pending: 500 with Retry-After", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  local r = call:response(180)
  local re = call:reinvite(r, { sdp = early.offer{ port = 40074 } })
  t:is(re.status, 500, "500 to the re-INVITE")
  t:like(re:header("Retry-After") or "", "^%d+", "with Retry-After")
  call:ack(re)
  inv:accept()
  call:ack(call:response(200))
end)

-- The UAS's own re-INVITE (RFC 3261 14.1): after the ACK only; the UAC
-- answers it 200, and the UAS ACKs that 200 before inv:reinvite returns.
local AGENT = SIPTAP.agent and "inv:reinvite does not go through " ..
  "--agent yet"

test("the UAS's re-INVITE with an offer: the UAC's answer in the 200",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:accept()
  call:ack(call:response(200))
  inv:wait("confirmed")
  local re = inv:reinvite()
  t:is(re.status, 200, "the UAC answers the re-INVITE 200")
  early.same_streams(t, re.body, 1, "with its answer")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("the UAS's re-INVITE without an offer: the UAC offers, the ACK answers",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:accept()
  call:ack(call:response(200))
  inv:wait("confirmed")
  local re = inv:reinvite{ sdp = false }
  t:is(re.status, 200, "the UAC answers the offerless re-INVITE 200")
  t:ok(early.taken(re.body) >= 1, "its 200 carries an offer")
  -- the exchange is closed by the ACK's answer: the UAS may offer again
  local u = inv:update()
  t:is(u.status, 200, "an UPDATE after it is taken")
  t:is(inv:bye().status, 200, "the UAS hangs up")
end)

test("the UAS's re-INVITE refused 491 is offered again after the back-off",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:accept()
  call:ack(call:response(200))
  inv:wait("confirmed")
  call:refuse("INVITE", 491)
  local re = inv:reinvite()
  t:is(re.status, 200, "the second re-INVITE is answered 200")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("no re-INVITE from the UAS before the ACK", { skip = AGENT },
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  t:raises(function() inv:reinvite() end, "early dialog",
           "inv:reinvite in the early dialog is refused (RFC 3261 14.1)")
  inv:accept()
  call:ack(call:response(200))
end)
