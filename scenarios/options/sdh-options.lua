-- sessionDescriptionHandlerOptions on their own: they choose the codecs
-- and the direction of the SDP the UAS generates.
local sdp = require "siptap.sdp"

test("sessionDescriptionHandlerOptions: codecs and direction [S-MOD-1]",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, sessionDescriptionHandlerOptions = {
    codecs = { "PCMA" }, direction = "recvonly" } }
  local r = call:response(183)
  t:header_is(r, "Content-Type", "application/sdp", "an SDP body")
  t:is(table.concat(sdp.codecs(r.body), ","), "PCMA", "only PCMA")
  t:is(sdp.direction(r.body), "recvonly", "recvonly")
  t:ok(sdp.check(r.body), "S-FMT-1: well formed SDP")
end)
