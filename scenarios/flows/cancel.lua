-- CANCEL during the early dialog: 200 to the CANCEL, 487 to the INVITE.
test("CANCEL after 180: 200 OK, then 487 Request Terminated [P-TAG-2]",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  local ringing = call:response(180)
  local c = call:cancel()
  t:is(c.status, 200, "CANCEL answered 200")
  local final = call:response(487)
  t:is(final.to_tag, ringing.to_tag, "P-TAG-2: 487 has the 180's To tag")
  call:ack(final)
  t:is(inv:state(), "terminated", "the invitation is over")
  t:raises(function() inv:progress{ statusCode = 183 } end,
           "[Tt]erminated", "progress after the CANCEL is refused")
end)

test("reject with 486 Busy Here", function(t)
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  inv:reject{ statusCode = 486, reasonPhrase = "Busy Here" }
  local final = call:response(486)
  t:is(final.reason, "Busy Here", "486 Busy Here")
  call:ack(final)
end)
