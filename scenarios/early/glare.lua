-- UPDATE glare (RFC 3311 5.2): two offers cross, and 491 Request
-- Pending goes to the later one, both ways.
local early = require "siptap.early"
local AGENT = SIPTAP.agent and "SIP.js 0.21.2 has no API that sends " ..
  "UPDATE (its Session has bye, info, invite, message, refer)"

test("the UAC's UPDATE crosses the UAS's offer: 491 [P-UPD-1]", function(t)
  -- no offer in the INVITE: the reliable 183 carries the UAS's, open
  -- until the PRACK answers it
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  local u = call:update(r, { sdp = early.offer{ port = 40060 } })
  t:is(u.status, 491, "P-UPD-1: 491 while the UAS's offer is open")
  t:is(call:prack(r, { sdp = early.answer(r.body) }).status, 200,
       "the PRACK with the answer closes the UAS's offer")
  local again = call:update(r, { sdp = early.offer{ port = 40061 } })
  t:is(again.status, 200, "P-UPD-1: the UPDATE again, now answered")
  inv:accept()
  call:ack(call:response(200))
end)

test("the UAS's UPDATE gets 491: it backs off and offers again [P-UPD-2]",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  call:prack(r)
  call:refuse("UPDATE", 491)       -- the UAC's own offer crossed it
  local u = inv:update()
  t:is(u.status, 200, "P-UPD-2: after the 491, the UPDATE again, answered")
  local first = inv:request()      -- the INVITE; the UPDATEs follow
  t:ok(first, "the INVITE is there")
  inv:accept()
  call:ack(call:response(200))
end)
