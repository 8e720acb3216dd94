-- A 183 answering the INVITE's offer without 100rel: early media. The
-- 200 OK then carries the same answer.
local sdp = require "siptap.sdp"

test("183 with SDP, unreliable, then 200 with the same answer [S-ANS-2 S-FMT-1 P-DLG-1]",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183 }
  local r = call:response(183)
  t:header_is(r, "Content-Type", "application/sdp", "P-BODY-1: SDP in the 183")
  t:ok(sdp.check(r.body), "S-FMT-1: well formed SDP")
  t:no_header(r, "RSeq", "unreliable")
  t:like(r:header("Contact") or "", "^<sip:", "P-DLG-1: Contact in the 183")

  inv:accept()
  local ok = call:response(200)
  t:is(ok.body, r.body, "S-ANS-1: 200 carries the same answer")
  call:ack()
end)
