-- The reliable-183 flow of tests/bench/load-vs-sipp.sh, as SIPp's
-- uac-100rel.xml plays it: INVITE with an offer and Supported: 100rel,
-- a reliable 183 with the answer, PRACK, its 200, the 200 to the INVITE,
-- ACK, 100 ms, BYE. Every rule runs after each call, as in siptap run.
local sdp = require "siptap.sdp"

test("reliable 183, PRACK, 200, ACK, BYE [R-HDR-1 R-RSEQ-1 R-PRACK-1 S-ANS-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  t:header_is(r, "Require", "100rel", "R-HDR-1: Require: 100rel")
  t:ok(sdp.check(r.body), "S-FMT-1: the answer is well formed")
  t:is(call:prack(r).status, 200, "R-PRACK-1: PRACK answered 200")
  inv:accept()
  call:ack(call:response(200))
  t:sleep(100)
  t:is(call:bye().status, 200, "BYE answered 200")
end)
