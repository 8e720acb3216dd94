-- The reliable provisional flow of RFC 3262: 183 with the answer, PRACK,
-- 200 to the PRACK, then the 200 OK to the INVITE and the ACK.
local sdp = require "siptap.sdp"
local flows = require "siptap.flows"

test("reliable 183 with SDP, PRACK, then 200 [R-HDR-1 R-RSEQ-1 R-PRACK-1 S-ANS-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true,
                extraHeaders = { "P-Early-Media: sendrecv" } }

  local r = call:response(183)
  if not flows.reliable(t, r, "R-WHEN-3") then return end
  t:header_is(r, "Require", "100rel", "R-HDR-1: Require: 100rel")
  local rseq = tonumber(r:header("RSeq"))
  t:report(rseq and rseq >= 1 and rseq <= 2^31 - 1,
           "R-RSEQ-1: RSeq in 1..2^31-1",
           { wanted = "RSeq in 1..2^31-1",
             found = "RSeq: " .. tostring(r:header("RSeq")) }, r)
  t:header_is(r, "P-Early-Media", "sendrecv", "P-HDR-1: extra header kept")
  t:ok(sdp.check(r.body), "S-FMT-1: the answer is well formed")

  local pr = call:prack(r)
  t:is(pr.status, 200, "R-PRACK-1: PRACK answered 200")

  inv:accept()
  local ok = call:response(200)
  t:ok(ok.body == "" or ok.body == r.body,
       "S-ANS-1: 200 repeats the answer or carries none")
  call:ack()
  t:sleep(50)
  t:is(inv:state(), "confirmed", "call confirmed by the ACK")
  local bye = call:bye()
  t:is(bye.status, 200, "BYE answered 200")
end)

test("two reliable provisionals: the second waits for the PRACK, RSeq+1 [R-ONE-1 R-RSEQ-1]",
     function(t)
  local call = t:uac():invite{ require = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  inv:progress{ statusCode = 183 }
  local first = call:response(180)
  if not flows.reliable(t, first, "R-WHEN-1") then return end
  t:sleep(t:t1() // 2)
  local early = 0
  for _, m in ipairs(call:responses()) do
    if m.status == 183 then early = early + 1 end
  end
  t:is(early, 0, "R-ONE-1: no 183 before the 180 is PRACKed")
  t:is(inv:queued(), 1, "R-ONE-1: the 183 waits in the UAS")

  call:prack(first)
  local second = call:response(183)
  t:is(tonumber(second:header("RSeq")), tonumber(first:header("RSeq")) + 1,
       "R-RSEQ-1: RSeq one higher")
  call:prack(second)
  inv:accept()
  call:ack(call:response(200))
end)

test("reliable 183 to an INVITE without SDP carries the offer [S-OFF-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not flows.reliable(t, r, "R-WHEN-3") then return end
  -- the offer's presence is S-OFF-1's; how it is labelled, P-BODY-1's;
  -- its grammar, S-FMT-1's: each checked only when it can be
  t:ok(r.body ~= "", "S-OFF-1: the 183 carries the offer")
  if r.body == "" then return end
  t:header_is(r, "Content-Type", "application/sdp",
              "P-BODY-1: the offer is labelled application/sdp")
  t:ok(sdp.check(r.body), "S-FMT-1: well formed")
  local answer = sdp.set_direction("sendrecv")(r.body)
  t:is(call:prack(r, { sdp = answer }).status, 200, "R-PRACK-1: PRACK with answer")
  inv:accept()
  call:ack(call:response(200))
end)

test("unmatched PRACKs get 481: wrong RSeq, wrong CSeq [R-PRACK-2]",
     function(t)
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180, rel100 = true }
  local r = call:response(180)
  if not flows.reliable(t, r, "R-WHEN-3") then return end
  local rseq = tonumber(r:header("RSeq"))
  t:is(call:prack(r, { rseq = rseq + 7 }).status, 481, "R-PRACK-2: wrong RSeq: 481")
  t:is(call:prack(r, { cseq = r.cseq + 1 }).status, 481, "R-PRACK-2: wrong CSeq: 481")
  t:is(call:prack(r).status, 200, "R-PRACK-1: the right one: 200")
  t:is(call:prack(r).status, 481, "R-PRACK-2: again, now acknowledged: 481")
end)

test("no 2xx before the PRACK of a reliable provisional with SDP [R-FINAL-1 R-FINAL-2]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not flows.reliable(t, r, "R-WHEN-3") then return end
  inv:accept()
  t:sleep(t:t1() // 2)
  local early_ok = false
  for _, m in ipairs(call:responses()) do
    if m.status == 200 then early_ok = true end
  end
  t:ok(not early_ok, "R-FINAL-1: no 200 while the 183 is not PRACKed")
  call:prack(r)
  local ok = call:response(200)
  t:is(ok.status, 200, "200 after the PRACK")
  call:ack()
end)

test("after the final response: no retransmissions, PRACK still answered [R-FINAL-2]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180, rel100 = true,
                body = { body = "ringing\n", contentType = "text/plain" } }
  local r = call:response(180)
  if not flows.reliable(t, r, "R-WHEN-3") then return end
  inv:accept()                      -- no SDP in the 180: no need to wait
  local ok = call:response(200)
  call:ack(ok)
  t:sleep(t:t1() * 4)
  local late = 0
  for _, m in ipairs(call:responses()) do
    if m.status == 180 and m.time > ok.time + 30 then late = late + 1 end
  end
  t:is(late, 0, "R-FINAL-2: no copy of the 180 after the 200")
  t:is(call:prack(r).status, 200, "R-FINAL-2: a PRACK after the 200 is answered 200")
end)
