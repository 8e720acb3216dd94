-- Invalid options are refused with an error naming the option, and
-- nothing reaches the wire.

-- Messages the UAS sent so far in the call of inv, less a 100 Trying: a
-- UAS may send one by itself as soon as the INVITE arrives (RFC 3261
-- 17.2.1). Through a proxy, a stray request of an earlier test's call (a
-- late CANCEL) may reach the UAS too: its answer is not about this call.
-- The raw record counts: a message that does not decode (m.undecodable)
-- has no Call-ID, and is still something sent.
local function uas_sent(t, inv)
  local n, call_id = 0, inv:request().call_id
  for _, m in ipairs(t:wire()) do
    if m.role == "uas" and m.sent and m.status ~= 100 and
       (m.call_id == call_id or m.undecodable) then
      n = n + 1
    end
  end
  return n
end

local cases = {
  { "statusCode 99",          { statusCode = 99 },   "statusCode" },
  { "statusCode 200",         { statusCode = 200 },  "statusCode" },
  { "statusCode 700",         { statusCode = 700 },  "statusCode" },
  { "statusCode 'abc'",       { statusCode = "abc" }, "statusCode" },
  { "statusCode 1.5",         { statusCode = 1.5 },  "statusCode" },
  { "reasonPhrase with CRLF", { reasonPhrase = "Ringing\r\nX-Evil: 1" },
    "reasonPhrase" },
  { "extraHeaders with CRLF", { extraHeaders = { "X-A: 1\r\nX-B: 2" } },
    "extraHeaders" },
  { "extraHeaders without colon", { extraHeaders = { "NoColonHere" } },
    "extraHeaders" },
  { "extraHeaders with an invalid name",
    { extraHeaders = { "Bad Name: x" } }, "extraHeaders" },
  { "body table without contentType", { body = { body = "hello" } },
    "contentType" },
  { "an unknown option",      { statuscode = 180 },  "statuscode" },
  { "rel100 not a boolean",   { rel100 = "yes" },    "rel100" },
}

for _, c in ipairs(cases) do
  test("refused: " .. c[1] .. ", nothing sent [P-RANGE-1 P-REASON-1 P-HDR-1]",
       function(t)
    local call = t:uac():invite{}
    local inv = t:uas():incoming()
    t:raises(function() inv:progress(c[2]) end, c[3],
             "the error names " .. c[3])
    t:raises(function() inv:progress(c[2]) end, "options%.lua:%d+:",
             "the error names the scenario file and line")
    t:sleep(50)
    t:is(uas_sent(t, inv), 0, "nothing on the wire from the UAS")
    t:is(inv:state(), "incoming", "the invitation is untouched")
    inv:progress{ statusCode = 180 }
    t:is(call:response(180).status, 180, "a valid progress still works")
  end)
end

test("an error inside a modifier names it, nothing sent [S-MOD-1]",
     function(t)
  t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  t:raises(function()
    inv:progress{ statusCode = 183, sessionDescriptionHandlerModifiers = {
      function(s) return s end,
      function() error("boom") end } }
  end, "sessionDescriptionHandlerModifiers%[2%] raised: .*boom",
       "the modifier and its error are named")
  t:sleep(50)
  t:is(uas_sent(t, inv), 0, "nothing on the wire from the UAS")
end)
