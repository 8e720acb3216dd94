-- Dynamic payload types (96-127): the answer keeps the offer's numbers
-- (RFC 3264 6.1 SHOULD) and maps each one with a=rtpmap (RFC 8866).
local sdp = require "siptap.sdp"

local OFFER = table.concat({
  "v=0", "o=uac 2890844526 1 IN IP4 127.0.0.1", "s=-",
  "c=IN IP4 127.0.0.1", "t=0 0",
  "m=audio 40000 RTP/AVP 96 0 97",
  "a=rtpmap:96 opus/48000/2", "a=rtpmap:97 telephone-event/8000",
  "a=fmtp:97 0-16", "" }, "\r\n")

test("opus offered as 96, telephone-event as 97: answered with those numbers [S-OA-1 S-FMT-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = OFFER }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true,
                sessionDescriptionHandlerOptions = {
                  codecs = { "opus", "PCMU", "telephone-event" } } }
  local r = call:response(183)
  t:is(table.concat(sdp.payloads(r.body), " "), "96 0 97",
       "the offer's numbers, the offer's order")
  t:like(r.body, "\r\na=rtpmap:96 opus/48000/2\r\n", "opus mapped")
  t:like(r.body, "\r\na=rtpmap:97 telephone%-event/8000\r\n",
         "telephone-event mapped")
  call:prack(r)
  inv:accept()
  t:is(call:response(200).body, r.body, "the 200 repeats the answer")
  call:ack()
end)

test("only the static type in common: the dynamic ones are left out [S-OA-1]",
     function(t)
  local call = t:uac():invite{ sdp = OFFER }
  local inv = t:uas():incoming()
  inv:accept{ sessionDescriptionHandlerOptions = { codecs = { "PCMU" } } }
  local r = call:response(200)
  t:is(table.concat(sdp.payloads(r.body), " "), "0", "PCMU alone")
  t:unlike(r.body, "rtpmap:96", "no opus")
  call:ack()
end)
