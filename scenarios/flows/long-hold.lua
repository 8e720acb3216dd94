-- An INVITE held without a final response gets a non-100 provisional at
-- least once a minute (RFC 3261 13.3.1.1). siptap scales the minute with
-- T1 (120 * T1): with T1 = 5 ms here, every 0.6 s. A remote UAS that
-- keeps its own T1 (500 ms) is watched for a real minute and a half.
-- noAnswerTimeout: a UAS that gives up on an unanswered INVITE by itself
-- (SIP.js: 480 after 60 s by default) is told to wait past the watch, so
-- that what is measured is the refresh, not the give-up.
test("held INVITE: a provisional at least every minute [P-LONG-1]",
     function(t)
  local uas = t:uas{ t1 = 5, noAnswerTimeout = 120 }
  local minute = 120 * t:uas_t1()
  local call = t:uac():invite{ sdp = true }
  local inv = uas:incoming()
  inv:progress{ statusCode = 180 }
  local first = call:response(180)
  t:sleep(minute * 1.5)
  local copies = 0
  for _, m in ipairs(call:responses()) do
    if m.status == 180 then copies = copies + 1 end
  end
  t:ok(copies >= 2, ("P-LONG-1: the 180 was sent %d times in 1.5 minutes")
       :format(copies))
  t:is(call:responses()[#call:responses()].raw, first.raw,
       "the refresh is the same 180")
  inv:accept()
  call:ack(call:response(200))
end)
