-- Against SIPp's uas-180.xml (run with --target ADDR:PORT): a plain 180
-- and a 200 with SDP. The case-free rules run on SIPp's bytes afterwards.
test("SIPp UAS: 180 Ringing, then 200 [P-TAG-1 P-TAG-2 P-DLG-1 P-BODY-1 R-WHEN-2]",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local r = call:response(180)
  t:ok(r.to_tag, "To tag")
  t:header_is(r, "Content-Length", "0", "no body")
  local ok = call:response(200)
  t:is(ok.to_tag, r.to_tag, "same To tag")
  call:ack(ok)
  t:is(call:bye().status, 200, "BYE answered")
end)
