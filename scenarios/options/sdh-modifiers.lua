-- sessionDescriptionHandlerModifiers on their own: applied in order to
-- the generated SDP before it is sent.
local sdp = require "siptap.sdp"

test("modifiers: remove PCMA, then sendonly [S-MOD-1 S-FMT-1]", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, sessionDescriptionHandlerModifiers = {
    sdp.remove_codec("PCMA"), sdp.set_direction("sendonly") } }
  local r = call:response(183)
  t:ok(not sdp.has_codec(r.body, "PCMA"), "PCMA removed from m=")
  t:unlike(r.body, "rtpmap:8 ", "and its rtpmap")
  t:ok(sdp.has_codec(r.body, "PCMU"), "PCMU kept")
  t:is(sdp.direction(r.body), "sendonly", "sendonly")
  t:ok(sdp.check(r.body), "S-FMT-1: well formed SDP")
end)

test("modifiers run in order: the second sees the first's output",
     function(t)
  local seen
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, sessionDescriptionHandlerModifiers = {
    function(s) return s .. "a=x-first\r\n" end,
    function(s) seen = s; return s .. "a=x-second\r\n" end } }
  local r = call:response(183)
  t:like(seen, "a=x%-first\r\n$", "second modifier got the first's SDP")
  t:like(r.body, "a=x%-first\r\na=x%-second\r\n$", "both on the wire")
end)
