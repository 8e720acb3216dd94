-- A plain 180 Ringing to an INVITE that knows nothing of 100rel.
test("180 Ringing, unreliable [P-TAG-1 P-REASON-1 R-WHEN-2]", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }

  local r = call:response(180)
  t:is(inv:state(), "early", "the invitation is early")
  t:is(r.status, 180, "status 180")
  t:is(r.reason, "Ringing", "P-REASON-1: default reason phrase")
  t:ok(r.to_tag, "P-TAG-1: To tag present")
  t:no_header(r, "RSeq", "no RSeq on an unreliable provisional")
  t:header_is(r, "Content-Length", "0", "P-BODY-1: no body")

  inv:accept()
  local ok = call:response(200)
  t:is(ok.to_tag, r.to_tag, "200 OK keeps the To tag [P-TAG-2]")
  call:ack()
  t:is(inv:wait("confirmed"), "confirmed", "the ACK confirms the call")
end)
