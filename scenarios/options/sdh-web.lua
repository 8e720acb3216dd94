-- siptap.web: SIP.js's built-in modifiers (Web.stripTelephoneEvent,
-- Web.holdModifier, ...) in sessionDescriptionHandlerModifiers, as a
-- SIP.js application writes them. What each does to an SDP is SIP.js
-- 0.21.2's, byte for byte (tests/e2e/e2e_web.sh); here is what reaches
-- the wire. Modifiers run over the SDP the UAS sends, and, where siptap
-- calls them with a type as SIP.js does, over the remote offer first: a
-- spy in front of them tells which, and the expectations follow.
local sdp = require "siptap.sdp"
local web = require "siptap.web"

-- A modifier that changes nothing and notes the type it was called with
-- ("none" under the one-argument convention).
local function spy(types)
  return function(s, typ)
    types[#types + 1] = typ or "none"
    return s
  end
end

local function saw(types, want)
  for _, typ in ipairs(types) do
    if typ == want then return true end
  end
  return false
end

local function mline(body)
  return body:match("m=audio [^\r\n]*")
end

test("web.stripTelephoneEvent, web.stripVideo: no telephone-event in the "
     .. "answer [S-MOD-1 S-FMT-1]", function(t)
  local types = {}
  local call = t:uac():invite{ sdp = true }  -- PCMU, PCMA, 101 telephone-event
  local inv = t:uas():incoming()
  t:like(inv:request().body, "telephone%-event", "the offer has telephone-event")
  inv:progress{ statusCode = 183, sessionDescriptionHandlerModifiers = {
    spy(types), web.stripTelephoneEvent, web.stripVideo } }
  local r = call:response(183)
  t:unlike(r.body, "telephone%-event", "no telephone-event rtpmap")
  t:unlike(mline(r.body), " 101", "101 gone from the m= line")
  t:ok(sdp.has_codec(r.body, "PCMU"), "PCMU kept")
  t:like(r.body, "\r\nm=audio [^\r\n]*\r\n", "the audio section stays")
  t:unlike(r.body, "m=video", "stripVideo: no video section (none offered)")
  if not saw(types, "offer") then
    -- only the answer was modified: SIP.js leaves telephone-event's
    -- a=fmtp line behind
    t:like(r.body, "a=fmtp:101 0%-16\r\n", "its a=fmtp stays, as in SIP.js")
  end
  t:ok(sdp.check(r.body), "S-FMT-1: well formed SDP")
end)

test("web.holdModifier: a=sendrecv becomes a=sendonly [S-MOD-1 S-OA-2]",
     function(t)
  local types = {}
  local call = t:uac():invite{ sdp = true }  -- a=sendrecv
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, sessionDescriptionHandlerModifiers = {
    spy(types), web.holdModifier } }
  local r = call:response(183)
  -- over the remote offer as well (SIP.js's way), the offer becomes
  -- sendonly, the answer to it recvonly, and hold makes that inactive
  local want = saw(types, "offer") and "inactive" or "sendonly"
  t:is(sdp.direction(r.body), want, "the answer's direction: " .. want)
  t:unlike(r.body, "a=sendrecv", "no a=sendrecv left")
  t:diag("modifier types seen: " .. table.concat(types, ", "))
end)

test("web.stripRtpPayload(\"PCMU\"): PCMU gone from the answer [S-MOD-1]",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, sessionDescriptionHandlerModifiers = {
    web.stripRtpPayload("PCMU") } }
  local r = call:response(183)
  t:ok(not sdp.has_codec(r.body, "PCMU"), "PCMU not in the m= line")
  t:unlike(r.body, "a=rtpmap:0 ", "nor its rtpmap")
  t:ok(sdp.check(r.body), "S-FMT-1: well formed SDP")
end)

test("web.holdModifier over an empty SDP raises, as SIP.js throws; no "
     .. "183 is sent", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  t:raises(function()
    inv:progress{ statusCode = 183, sessionDescriptionHandlerModifiers = {
      function() return "" end, web.holdModifier } }
  end, "Invalid SDP")
  t:sleep(100)
  -- (SIP.js then ends the session with a final response of its own; the
  -- reference UAS keeps the call)
  for _, r in ipairs(call:responses()) do
    t:isnt(r.status, 183, "no 183 on the wire (" .. r.status .. " sent)")
  end
  t:pass("the 183 was not sent")
end)

test("web.stripRtpPayload takes an encoding name, not a payload number",
     function(t)
  t:raises(function() web.stripRtpPayload(8) end,
           "payload must be an encoding name")
end)
