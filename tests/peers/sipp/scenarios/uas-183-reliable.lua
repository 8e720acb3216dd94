-- Against SIPp's uas-183-reliable.xml: a reliable 183 (Require: 100rel,
-- RSeq), PRACK, then 200. SIPp's bytes go through the same rules.
test("SIPp UAS: reliable 183, PRACK, 200 [R-HDR-1 R-RSEQ-1 R-PRACK-1 S-ANS-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local r = call:response(183)
  t:header_is(r, "Require", "100rel", "Require: 100rel")
  t:like(r:header("RSeq") or "", "^%d+$", "RSeq")
  t:is(call:prack(r).status, 200, "PRACK answered 200")
  local ok = call:response(200)
  call:ack(ok)
  t:is(call:bye().status, 200, "BYE answered")
end)
