-- my-first.lua: a reliable 183, its PRACK, then 200 OK and ACK
test("183 reliable, PRACK, 200 [R-HDR-1 R-PRACK-1]", function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }

  local r = call:response(183)
  t:header_is(r, "Require", "100rel", "R-HDR-1: Require: 100rel")
  t:ok(r:header("RSeq"), "R-HDR-1: an RSeq")
  t:is(call:prack(r).status, 200, "R-PRACK-1: the PRACK gets 200")

  inv:accept()
  call:response(200)
  call:ack()
end)
