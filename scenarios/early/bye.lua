-- A BYE in the early dialog (RFC 3261 15.1.2): the BYE gets 200, and
-- the INVITE still pending then gets its final response (487).
local early = require "siptap.early"

test("BYE in the early dialog: 200, then 487 to the INVITE [P-BYE-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  t:is(call:prack(r).status, 200, "R-PRACK-1: PRACK answered 200")
  local bye = call:bye(r)
  t:is(bye.status, 200, "P-BYE-1: BYE in the early dialog answered 200")
  local final = call:response(487)
  t:is(final.status, 487, "P-BYE-1: then 487 to the INVITE")
  call:ack(final)
  t:is(inv:wait("terminated"), "terminated", "the invitation is over")
end)

test("BYE after an unreliable 180: 200, then 487 [P-BYE-1]", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  local r = call:response(180)
  t:is(call:bye(r).status, 200, "P-BYE-1: BYE answered 200")
  local final = call:response(487)
  call:ack(final)
  t:raises(function() inv:accept() end, "[Tt]erminated",
           "accept after the BYE is refused")
end)
