-- SIP.js's UserAgent options as t:uas{} keys, with SIP.js's meaning, on
-- the reference UAS and on an agent alike: sendInitialProvisionalResponse
-- (a 180 as the INVITE arrives, before the scenario's first progress) and
-- noAnswerTimeout (an INVITE unanswered that many seconds gets 480).
-- What they check is siptap's API (an agent that ignores a key breaks
-- it), not an RFC rule: findings.md lists them apart in agent runs.

local CONTRACT = "siptap's API: t:uas{} keys with SIP.js's meaning"

test("sendInitialProvisionalResponse: a 180 before the scenario's progress",
     function(t)
  local uas = t:uas{ sendInitialProvisionalResponse = true }
  local call = t:uac():invite{ sdp = true }
  local inv = uas:incoming()
  -- (its reason phrase is P-REASON-1's, checked elsewhere)
  local got = pcall(call.response, call, 180, { timeout = 2000 })
  t:report(got, "the automatic 180, before any progress()",
           { wanted = "a 180 before the scenario's first progress()",
             found = "no 180 within 2 s", contract = CONTRACT })
  if not got then return end
  inv:progress{ statusCode = 183 }
  t:is(call:response(183).status, 183, "then the scenario's own 183")
  inv:accept()
  call:ack(call:response(200))
end)

test("noAnswerTimeout: an unanswered INVITE gets 480 when it expires",
     function(t)
  local uas = t:uas{ noAnswerTimeout = 1 }
  local call = t:uac():invite{ sdp = true }
  local inv = uas:incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  local final = call:response(nil, { timeout = 3000 })
  while final.status < 200 do
    final = call:response(nil, { timeout = 3000 })
  end
  t:report(final.status == 480, "480 after 1 s without an answer",
           { wanted = "480", found = tostring(final.status),
             contract = CONTRACT }, final)
  t:report(final.reason == "Temporarily Unavailable",
           "its phrase is SIP.js's: Temporarily Unavailable",
           { wanted = "Temporarily Unavailable",
             found = tostring(final.reason), contract = CONTRACT }, final)
  t:report(final.time >= 900, "not before the timeout",
           { wanted = ">= 1000 ms", found = ("%.0f ms"):format(final.time),
             contract = CONTRACT })
  call:ack(final)
end)

test("t:uas: bad values of SIP.js's options name the key", function(t)
  t:raises(function() t:uas{ noAnswerTimeout = 0 } end, "noAnswerTimeout",
           "noAnswerTimeout = 0 refused, named")
  t:raises(function() t:uas{ sendInitialProvisionalResponse = "yes" } end,
           "sendInitialProvisionalResponse",
           "sendInitialProvisionalResponse = 'yes' refused, named")
end)
