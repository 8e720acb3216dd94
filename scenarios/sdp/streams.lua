-- An answer mirrors the offer's m= lines (RFC 3264 6): one for each,
-- in order, the same media type; what the UAS does not take gets port 0.
local sdp = require "siptap.sdp"

local function S(ls) return table.concat(ls, "\r\n") .. "\r\n" end
local HEAD = { "v=0", "o=uac 2890844526 1 IN IP4 127.0.0.1", "s=-",
               "c=IN IP4 127.0.0.1", "t=0 0" }

local function with(ls)
  local out = { table.unpack(HEAD) }
  for _, l in ipairs(ls) do out[#out + 1] = l end
  return S(out)
end

-- the m= lines of an SDP: { type, port, fmts }
local function mlines(body)
  local out = {}
  for ty, port, rest in body:gmatch("\nm=(%S+) (%S+) %S+ ([^\r\n]*)") do
    out[#out + 1] = { type = ty, port = port, fmts = rest }
  end
  return out
end

test("audio and video offered, audio taken, video rejected with port 0 [S-OA-1 S-FMT-1]",
     function(t)
  local call = t:uac():invite{ sdp = with{
    "m=audio 40000 RTP/AVP 0 8", "m=video 40002 RTP/AVP 96",
    "a=rtpmap:96 H264/90000" } }
  local inv = t:uas():incoming()
  inv:accept()
  local r = call:response(200)
  local m = mlines(r.body)
  t:is(#m, 2, "two m= lines, as offered")
  t:is(m[1] and m[1].type, "audio", "the first is audio")
  t:isnt(m[1] and m[1].port, "0", "and taken")
  t:is(m[2] and m[2].type, "video", "the second is video")
  t:is(m[2] and m[2].port, "0", "and rejected")
  call:ack()
end)

-- The 200's m= lines for an offer of these media lines.
local function answered(t, media)
  local call = t:uac():invite{ sdp = with(media) }
  local inv = t:uas():incoming()
  inv:accept()
  local r = call:response(200)
  call:ack()
  return mlines(r.body), r.body
end

test("a stream offered with port 0 is answered with port 0 [S-OA-1]",
     function(t)
  local m = answered(t, { "m=audio 0 RTP/AVP 0", "m=audio 40002 RTP/AVP 0 8" })
  t:is(#m, 2, "two m= lines")
  t:is(m[1] and m[1].port, "0", "the removed stream stays removed")
end)

test("a stream of another protocol is mirrored and rejected [S-OA-1 S-FMT-1]",
     function(t)
  local m = answered(t, { "m=audio 40000 RTP/AVP 0",
                          "m=application 40010 UDP/BFCP *" })
  t:is(#m, 2, "two m= lines")
  t:is(m[2] and m[2].type, "application", "application mirrored")
  t:is(m[2] and m[2].port, "0", "with port 0")
end)

test("no codec in common: the stream is rejected, the call still answered [S-OA-1]",
     function(t)
  local m, body = answered(t, { "m=audio 40000 RTP/AVP 18",
                                "a=rtpmap:18 G729/8000" })
  t:is(#m, 1, "one m= line")
  t:is(m[1] and m[1].port, "0", "rejected")
  t:ok(sdp.check(body), "well formed")
end)
