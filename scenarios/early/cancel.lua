-- CANCEL at every stage of the INVITE (RFC 3261 9.2): after 100 Trying,
-- in the early dialog, and racing the 200 (the 200 wins: the
-- CANCEL gets 200, the INVITE is not terminated, the call goes on).

-- (not before any response: RFC 3261 9.1 wants a provisional first)
test("CANCEL after 100 Trying: 200, then 487", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 100 }
  call:response(100)
  t:is(call:cancel().status, 200, "CANCEL answered 200")
  local final = call:response(487)
  call:ack(final)
  t:is(inv:wait("terminated"), "terminated", "the invitation is over")
end)

test("CANCEL after a reliable 183 and its PRACK: 200, then 487 [R-PRACK-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if r:header("RSeq") then call:prack(r) end
  t:is(call:cancel().status, 200, "CANCEL answered 200")
  call:ack(call:response(487))
end)

test("CANCEL racing the 200: the 200 wins, the call goes on", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  inv:accept()
  -- sent before the 200 is read: the two cross on the wire
  local c = call:cancel()
  t:is(c.status, 200, "the CANCEL is answered 200 all the same")
  local ok = call:response(200)
  t:is(ok.status, 200, "the INVITE's final response is the 200")
  call:ack(ok)
  t:is(inv:wait("confirmed"), "confirmed", "the call is up")
  t:is(call:bye().status, 200, "and ends with a BYE")
end)
