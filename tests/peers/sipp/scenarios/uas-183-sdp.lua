-- Against SIPp's uas-183-sdp.xml: early media, then the same SDP in the
-- 200 (S-ANS-2), checked by the rules on SIPp's bytes.
test("SIPp UAS: 183 with SDP, then 200 with the same [S-ANS-2 S-FMT-1 P-BODY-1]",
     function(t)
  local sdp = require "siptap.sdp"
  local call = t:uac():invite{ sdp = true }
  local r = call:response(183)
  t:header_is(r, "Content-Type", "application/sdp", "SDP in the 183")
  t:ok(sdp.check(r.body), "well formed")
  local ok = call:response(200)
  t:is(ok.body, r.body, "the 200 repeats it")
  call:ack(ok)
  call:bye()
end)
