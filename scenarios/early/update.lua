-- UPDATE in the early and the confirmed dialog (RFC 3311): an offer is
-- answered in the 2xx; an UPDATE without one gets 2xx; an offer while
-- the INVITE's is not answered yet gets 500 with Retry-After.
local early = require "siptap.early"

test("UPDATE with an offer in the early dialog: the answer in its 200 [P-UPD-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  call:prack(r)
  local u = call:update(r, { sdp = early.offer{ port = 40030 } })
  t:is(u.status, 200, "P-UPD-1: UPDATE with an offer answered 200")
  early.same_streams(t, u.body, 1, "P-UPD-1: the answer in the 200")
  if u.status < 300 then
    t:like(u:header("Contact") or "", "^<sip:", "the 200 has a Contact")
  end
  local got = inv:next_request("UPDATE")
  t:is(got.method, "UPDATE", "inv:next_request: the UAS saw the UPDATE")
  inv:accept()
  call:ack(call:response(200))
end)

test("UPDATE without an offer in the early dialog: 200 [P-UPD-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180, rel100 = true }
  local r = call:response(180)
  if not early.reliable(t, r) then return end
  call:prack(r)
  local u = call:update(r)
  t:is(u.status, 200, "P-UPD-1: UPDATE without an offer answered 200")
  t:is(u.body, "", "no SDP in it")
  inv:reject{ statusCode = 486 }
  call:ack(call:response(486))
end)

test("UPDATE while the INVITE's offer is unanswered: 500 with Retry-After [P-UPD-1]",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  local r = call:response(180)
  local u = call:update(r, { sdp = early.offer{ port = 40040 } })
  t:is(u.status, 500, "P-UPD-1: 500 while an earlier offer is open")
  t:like(u:header("Retry-After") or "", "^%d+", "P-UPD-1: with Retry-After")
  inv:accept()
  call:ack(call:response(200))
end)

test("UPDATE in the confirmed dialog: the answer in its 200 [P-UPD-1]",
     function(t)
  local call, _, ok = early.confirmed(t)
  local u = call:update(ok, { sdp = early.offer{ port = 40050 } })
  t:is(u.status, 200, "P-UPD-1: UPDATE answered 200")
  early.same_streams(t, u.body, 1, "P-UPD-1: with the answer")
  t:is(call:bye().status, 200, "BYE answered 200")
end)
