-- The reference UAS answering SIPp's uac-100rel.xml (run with
-- --uas-listen ADDR:PORT, SIPp sends to that address): a reliable 183
-- with the SDP answer, the 200 held back until SIPp's PRACK (R-FINAL-1),
-- then ACK and BYE. SIPp's own regex checks verify Require and RSeq and
-- that its PRACK was matched (a 481 fails its scenario).
test("SIPp's INVITE: reliable 183, PRACK, 200, ACK, BYE [R-HDR-1 R-PRACK-1 R-FINAL-1]",
     function(t)
  local inv = t:uas():incoming{ timeout = 20000 }
  local req = inv:request()
  t:like(req:header("Supported") or "", "100rel", "SIPp's INVITE supports 100rel")
  inv:progress{ statusCode = 183, rel100 = true }
  inv:accept()                 -- sent when the PRACK comes
  t:is(inv:wait("confirmed", { timeout = 10000 }), "confirmed",
       "SIPp PRACKed, got the 200 and ACKed it")
  t:is(inv:wait("terminated", { timeout = 10000 }), "terminated",
       "SIPp hung up")
  local prack_ok
  for _, m in ipairs(t:wire()) do
    if m.role == "uas" and m.sent and m.cseq_method == "PRACK" then
      prack_ok = m.status
    end
  end
  t:is(prack_ok, 200, "the UAS answered SIPp's PRACK 200")
end)
