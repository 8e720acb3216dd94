-- The o= line across a dialog (RFC 3264 8): an SDP sent again unchanged
-- keeps its o= line, version included.
local sdp = require "siptap.sdp"

local function origin(body) return body:match("\no=([^\r\n]*)") end

test("183 with SDP, then 200 with the same SDP: one o= line [S-VER-1 S-ANS-2]",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183 }
  local early = call:response(183)
  inv:accept()
  local ok = call:response(200)
  t:is(origin(ok.body), origin(early.body), "the same o= line")
  call:ack()
end)

test("reliable 183, reliable 180, 200: the answer repeated, o= unchanged [S-VER-1 S-ANS-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r1 = call:response(183)
  call:prack(r1)
  inv:progress{ statusCode = 180, rel100 = true }
  local r2 = call:response(180)
  call:prack(r2)
  t:is(r2.body, r1.body, "the 180 repeats the answer")
  inv:accept()
  t:is(origin(call:response(200).body), origin(r1.body), "the 200 too")
  call:ack()
end)

test("INVITE without offer: the UAS's offer in the reliable 183, the 200 repeats it [S-OFF-1 S-VER-1 S-FMT-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  t:ok(sdp.check(r.body), "the offer is well formed")
  local answer = sdp.set_direction("sendrecv")(r.body)
  t:is(call:prack(r, { sdp = answer }).status, 200, "PRACK with the answer")
  inv:accept()
  local ok = call:response(200)
  t:ok(ok.body == "" or ok.body == r.body, "the 200 makes no new offer")
  call:ack()
end)
