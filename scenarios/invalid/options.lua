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

-- The rule a refused option's wire is about: an option refused is one
-- whose response must not go out.
local RULE = { statusCode = "P-RANGE-1", statuscode = "P-RANGE-1",
               rel100 = "P-RANGE-1", reasonPhrase = "P-REASON-1",
               extraHeaders = "P-HDR-1", contentType = "P-BODY-1" }

-- What siptap's API promises beyond the wire (findings.md lists it apart
-- in runs against another UAS)
local CONTRACT = "siptap's API: a refused progress() leaves the " ..
                 "invitation as it was"

for _, c in ipairs(cases) do
  test("refused: " .. c[1] .. ", nothing sent [P-RANGE-1 P-REASON-1 P-HDR-1]",
       function(t)
    local rule = RULE[c[3]]
    local call = t:uac():invite{}
    local inv = t:uas():incoming()
    -- what the UAS sent by itself before the scenario acted (SIP.js's
    -- automatic 180, t:uas{sendInitialProvisionalResponse}) is not the
    -- refused call's
    t:sleep(20)
    local before, state0 = uas_sent(t, inv), inv:state()
    t:raises(function() inv:progress(c[2]) end, c[3],
             "the error names " .. c[3])
    t:raises(function() inv:progress(c[2]) end, "options%.lua:%d+:",
             "the error names the scenario file and line")
    t:sleep(50)
    t:is(uas_sent(t, inv) - before, 0,
         rule .. ": nothing on the wire from the UAS")
    local state = inv:state()
    t:report(state == state0, "the invitation is untouched",
             { wanted = state0, found = state, contract = CONTRACT })
    inv:progress{ statusCode = 180 }
    local status = call:response(180).status
    t:report(status == 180, "a valid progress still works",
             { wanted = "180", found = tostring(status),
               contract = CONTRACT })
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
  t:is(uas_sent(t, inv), 0, "S-MOD-1: nothing on the wire from the UAS")
end)
