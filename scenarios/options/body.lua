-- body on its own: a string is sent as given with application/sdp; a
-- table sets the Content-Type.
local sdp = require "siptap.sdp"

test("body as a string: SDP sent as given [P-BODY-1 S-ANS-2]", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  local answer = table.concat({
    "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
    "t=0 0", "m=audio 40000 RTP/AVP 0", "a=rtpmap:0 PCMU/8000",
    "a=sendrecv", "" }, "\r\n")
  inv:progress{ statusCode = 183, body = answer }
  local r = call:response(183)
  t:body_is(r, answer, "P-BODY-1: body byte for byte")
  t:header_is(r, "Content-Type", "application/sdp", "P-BODY-1: Content-Type")
  t:header_is(r, "Content-Length", tostring(#answer), "P-BODY-1: Content-Length")
  t:ok(sdp.check(r.body), "S-FMT-1: well formed SDP")
end)

test("body as {body, contentType}: a non-SDP body [P-BODY-1]", function(t)
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  local text = "ringing at the far end\n"
  inv:progress{ statusCode = 180,
                body = { body = text, contentType = "text/plain" } }
  local r = call:response(180)
  t:body_is(r, text, "P-BODY-1: body")
  t:header_is(r, "Content-Type", "text/plain", "P-BODY-1: Content-Type")
  t:header_is(r, "Content-Length", tostring(#text), "P-BODY-1: Content-Length")
end)

test("no body: Content-Length 0 and no Content-Type [P-BODY-1]",
     function(t)
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  local r = call:response(180)
  t:header_is(r, "Content-Length", "0", "P-BODY-1: Content-Length: 0")
  t:no_header(r, "Content-Type", "P-BODY-1: no Content-Type")
end)

test("body on a reliable provisional: sent as given [P-BODY-1 R-HDR-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  local answer = table.concat({
    "v=0", "o=- 7 7 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
    "t=0 0", "m=audio 40002 RTP/AVP 0", "a=rtpmap:0 PCMU/8000",
    "a=sendrecv", "" }, "\r\n")
  inv:progress{ statusCode = 183, rel100 = true, body = answer }
  local r = call:response(183)
  t:header_is(r, "Require", "100rel", "sent reliably")
  t:body_is(r, answer, "P-BODY-1: the body given, byte for byte")
  call:prack(r)
end)
