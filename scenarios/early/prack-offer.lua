-- Offer/answer in PRACK (RFC 3262 5): an offer in the PRACK is answered
-- in the 2xx to the PRACK, or refused with 488 when nothing in it can be
-- taken (RFC 3264 6).
local early = require "siptap.early"

test("offer in the PRACK: the answer in its 200 [R-PRACK-4]", function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  local pr = call:prack(r, { sdp = early.offer{ port = 40010 } })
  t:is(pr.status, 200, "R-PRACK-4: PRACK with an offer answered 200")
  t:is(pr:header("Content-Type"), "application/sdp",
       "R-PRACK-4: the 200 carries the answer")
  early.same_streams(t, pr.body, 1, "R-PRACK-4: one stream answered")
  inv:accept()
  call:ack(call:response(200))
end)

test("offer in the PRACK that nothing can take: 488 [R-PRACK-4]", function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  local pr = call:prack(r, { sdp = early.offer{ codec = "X-NONE/8000" } })
  -- refused (RFC 3264 6): 488, or a 200 whose answer takes no stream
  t:report(pr.status == 488 or pr.status == 200 and pr.body ~= "" and
           early.taken(pr.body) == 0,
           "R-PRACK-4: an offer nothing can take is refused",
           { wanted = "488, or a 200 whose answer takes no stream (port 0)",
             found = pr.status .. " taking " .. early.taken(pr.body) ..
               " stream(s)" }, pr)
  inv:accept()
  call:ack(call:response(200))
end)

test("answer in the PRACK to the UAS's offer: 200 without SDP [R-PRACK-4]",
     function(t)
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  local pr = call:prack(r, { sdp = early.answer(r.body) })
  t:is(pr.status, 200, "R-PRACK-1: PRACK with the answer gets 200")
  t:is(pr.body, "", "an answer is not answered again")
  inv:accept()
  call:ack(call:response(200))
end)
