-- The reference UAS answers an offer in the WebRTC profile in kind
-- (RFC 8829 5.3.1): its own ICE credentials and fingerprint, a=setup
-- active or passive, a=rtcp-mux when offered, the offer's mids, BUNDLE
-- over the streams it takes. S-RTC-1, S-RTC-2, S-OA-1, S-OA-2 and
-- S-FMT-1 judge every answer after each test.
local sdp = require "siptap.sdp"
local flows = require "siptap.flows"


local function S(ls) return table.concat(ls, "\r\n") .. "\r\n" end

local FP = "sha-256 " .. ("AB:"):rep(31) .. "CD"

-- A Firefox-shaped offer: ICE and DTLS at session level, mids of its
-- own choosing. o: { setup, dir, bundle (false: none), extra media }
local function offer(o)
  o = o or {}
  local ls = { "v=0", "o=mozilla...THIS_IS_SDPARTA-99.0 4 0 IN IP4 127.0.0.1",
    "s=-", "t=0 0", "a=fingerprint:" .. FP, "a=ice-options:trickle",
    "a=msid-semantic:WMS *" }
  if o.bundle ~= false then ls[#ls + 1] = "a=group:BUNDLE " .. (o.bundle or "a1") end
  for _, l in ipairs{ "m=audio 40000 UDP/TLS/RTP/SAVPF 109 0 101",
    "c=IN IP4 127.0.0.1", "a=candidate:0 1 UDP 2122252543 127.0.0.1 40000 typ host",
    "a=" .. (o.dir or "sendrecv"), "a=ice-pwd:0123456789abcdef0123456789abcdef",
    "a=ice-ufrag:fedc0123", "a=mid:a1", "a=rtcp-mux",
    "a=rtpmap:109 opus/48000/2", "a=fmtp:109 maxplaybackrate=48000;stereo=1",
    "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15", "a=setup:" .. (o.setup or "actpass") } do
    ls[#ls + 1] = l
  end
  for _, l in ipairs(o.extra or {}) do ls[#ls + 1] = l end
  return S(ls)
end

local function answer_of(t, body)
  local call = t:uac():invite{ sdp = body }
  local inv = t:uas():incoming()
  inv:accept()
  local r = call:response(200)
  call:ack()
  return sdp.sections(r.body), r.body
end

local function one(m, name) return m and m.attrs[name] and m.attrs[name][1] end

test("a Firefox-shaped offer: session-level ICE and DTLS, mid a1 " ..
     "[S-RTC-1 S-RTC-2]", function(t)
  flows.webrtc_uas(t)
  local secs, body = answer_of(t, offer())
  local m = secs.media[1]
  t:is(one(m, "mid"), "a1", "the mid mirrored")
  t:is(one(m, "setup"), "active", "setup:active to actpass")
  t:ok(one(m, "rtcp-mux"), "rtcp-mux, as offered")
  t:is(table.concat(sdp.bundles(secs)[1], " "), "a1", "BUNDLE a1")
  t:is(table.concat(sdp.codecs(body), ","), "opus,PCMU,telephone-event",
       "the offered codecs it knows, in the offer's order")
  flows.reference(t, "opus keeps the offer's parameters", function()
    t:like(body, "a=fmtp:109 maxplaybackrate=48000;stereo=1\r\n",
           "opus keeps the offer's parameters")
  end)
end)

test("setup:active offered: the answer is passive [S-RTC-1]",
     function(t)
  flows.webrtc_uas(t)
  local secs = answer_of(t, offer{ setup = "active" })
  t:is(one(secs.media[1], "setup"), "passive", "setup:passive")
end)

test("sendonly offered: recvonly answered, in kind [S-RTC-1 S-OA-2]",
     function(t)
  flows.webrtc_uas(t)
  local _, body = answer_of(t, offer{ dir = "sendonly" })
  t:is(sdp.direction(body), "recvonly", "recvonly")
end)

test("a data channel offered: rejected with port 0, left out of " ..
     "BUNDLE [S-RTC-2 S-OA-1]", function(t)
  flows.webrtc_uas(t)
  local secs = answer_of(t, offer{ bundle = "a1 d1", extra = {
    "m=application 40000 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 127.0.0.1", "a=mid:d1", "a=sctp-port:5000",
    "a=setup:actpass" } })
  t:is(#secs.media, 2, "both m= lines mirrored")
  t:is(one(secs.media[2], "mid"), "d1", "with its mid")
  flows.reference(t, "the data channel rejected, BUNDLE names only the "
                  .. "stream taken", function()
    t:is(secs.media[2].port, 0, "the data channel rejected")
    t:is(table.concat(sdp.bundles(secs)[1], " "), "a1",
         "BUNDLE names only the stream taken")
  end)
end)

test("no BUNDLE offered: none answered [S-RTC-2]", function(t)
  flows.webrtc_uas(t)
  local secs = answer_of(t, offer{ bundle = false })
  t:is(sdp.bundles(secs), nil, "no a=group:BUNDLE")
end)

test("the answer in a reliable 183, the 200 repeats it [S-RTC-1 S-ANS-1]",
     function(t)
  flows.webrtc_uas(t)
  local call = t:uac():invite{ sdp = "webrtc", supported = "100rel" }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local p = call:response(183)
  call:prack(p)
  inv:accept()
  local r = call:response(200)
  call:ack()
  t:ok(sdp.is_webrtc(p.body), "the 183 carries a WebRTC answer")
  t:ok(r.body == "" or sdp.content(r.body) == sdp.content(p.body),
       "the 200 repeats it or has none")
end)

test("an RTP/AVP offer gets an RTP/AVP answer: S-RTC-* do not judge it",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:accept()
  local r = call:response(200)
  call:ack()
  t:ok(not sdp.is_webrtc(r.body), "no WebRTC answer to a plain offer")
  t:like(r.body, "RTP/AVP", "RTP/AVP")
end)

-- Chromium's offer as it writes one before ICE gathering ends (port 9,
-- a=rtcp:9), with what S-FMT-1, S-OA-1 and S-OA-2 must take as it is:
-- a=extmap, a=rtcp-fb, a=ssrc-group, H264 with fmtp, red/ulpfec, a data
-- channel; addresses on the loopback only.
local CHROME = S{ "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-", "t=0 0", "a=group:BUNDLE 0 1 2", "a=extmap-allow-mixed",
  "a=msid-semantic: WMS 5a1b",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
  "c=IN IP4 127.0.0.1", "a=rtcp:9 IN IP4 127.0.0.1",
  "a=candidate:842163049 1 udp 1677729535 127.0.0.1 50000 typ host " ..
    "generation 0 network-cost 999",
  "a=ice-ufrag:8hhY", "a=ice-pwd:asd88fgpdd777uzjYhagZg",
  "a=ice-options:trickle", "a=fingerprint:" .. FP, "a=setup:actpass",
  "a=mid:0", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
  "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
  "a=sendrecv", "a=msid:5a1b 7c2d", "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 minptime=10;useinbandfec=1", "a=rtpmap:63 red/48000/2",
  "a=fmtp:63 111/111", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000", "a=rtpmap:13 CN/8000",
  "a=rtpmap:110 telephone-event/48000", "a=rtpmap:126 telephone-event/8000",
  "a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6",
  "a=ssrc:3570614608 msid:5a1b 7c2d",
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 127",
  "c=IN IP4 127.0.0.1", "a=rtcp:9 IN IP4 127.0.0.1",
  "a=ice-ufrag:8hhY", "a=ice-pwd:asd88fgpdd777uzjYhagZg",
  "a=ice-options:trickle", "a=fingerprint:" .. FP, "a=setup:actpass",
  "a=mid:1", "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
  "a=sendrecv", "a=msid:5a1b 8e3f", "a=rtcp-mux", "a=rtcp-rsize",
  "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 goog-remb", "a=rtcp-fb:96 nack",
  "a=rtcp-fb:96 nack pli", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96",
  "a=rtpmap:102 H264/90000",
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;" ..
    "profile-level-id=42001f",
  "a=rtpmap:103 rtx/90000", "a=fmtp:103 apt=102",
  "a=rtpmap:127 ulpfec/90000",
  "a=ssrc-group:FID 2231627014 632943048",
  "a=ssrc:2231627014 cname:4TOk42mSjXCkVIa6",
  "a=ssrc:632943048 cname:4TOk42mSjXCkVIa6",
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
  "c=IN IP4 127.0.0.1", "a=ice-ufrag:8hhY",
  "a=ice-pwd:asd88fgpdd777uzjYhagZg", "a=ice-options:trickle",
  "a=fingerprint:" .. FP, "a=setup:actpass", "a=mid:2",
  "a=sctp-port:5000", "a=max-message-size:262144" }

test("a Chromium offer as captured: audio, video, data channel " ..
     "[S-RTC-1 S-RTC-2 S-FMT-1 S-OA-1 S-OA-2]", function(t)
  flows.webrtc_uas(t)
  t:ok(sdp.check(CHROME), "the offer is well formed for S-FMT-1")
  t:ok(sdp.is_webrtc(CHROME), "and in the WebRTC profile")
  local secs, body = answer_of(t, CHROME)
  t:is(#secs.media, 3, "three m= lines mirrored")
  flows.reference(t, "the codecs, the data channel and BUNDLE as the "
                  .. "reference UAS answers", function()
    t:is(table.concat(sdp.codecs(body), ","),
         "opus,G722,PCMU,PCMA,telephone-event,telephone-event",
         "the audio codecs it knows, in the offer's order")
    t:like(body, "m=video %d+ UDP/TLS/RTP/SAVPF 96 97\r\n",
           "VP8 and its rtx, not H264 nor the rtx of H264")
    t:is(secs.media[3].port, 0, "the data channel rejected")
    t:is(table.concat(sdp.bundles(secs)[1], " "), "0 1",
         "BUNDLE names the streams taken")
  end)
end)

test("a bundle-only stream (port 0) is taken into BUNDLE, not removed " ..
     "[S-RTC-2 S-OA-1]", function(t)
  flows.webrtc_uas(t)
  local secs, body = answer_of(t, offer{ bundle = "a1 v1", extra = {
    "m=video 0 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 127.0.0.1",
    "a=bundle-only", "a=mid:v1", "a=sendrecv", "a=rtcp-mux",
    "a=rtpmap:96 VP8/90000" } })
  t:is(#secs.media, 2, "both m= lines mirrored")
  -- Chromium answers it as JSEP lays out bundled sections (port 9,
  -- c=0.0.0.0, no a=bundle-only): its layout is judged by the rules
  flows.reference(t, "port 0 and a=bundle-only, as RFC 8843 7.3.1 "
                  .. "answers it", function()
    t:is(secs.media[2].port, 0, "port 0, as RFC 8843 7.3.1 answers it")
    t:ok(secs.media[2].attrs["bundle-only"], "with a=bundle-only")
  end)
  t:like(body, "m=video %d+ UDP/TLS/RTP/SAVPF 96\r\n", "VP8 taken")
  t:is(table.concat(sdp.bundles(secs)[1], " "), "a1 v1",
       "BUNDLE names both")
end)

-- SIP.js's constraints on an answer: a medium not asked for keeps its
-- m= line with port 0 (its first format and rtpmap, its mid).
test("constraints {audio = true, video = false} against a WebRTC " ..
     "audio+video offer: video declined [S-MOD-1 S-OA-1 S-RTC-1]",
     function(t)
  flows.webrtc_uas(t)
  local rules = require "siptap.rules"
  local c = { audio = true, video = false }
  local call = t:uac():invite{ sdp = "webrtc", video = true,
                               supported = "100rel" }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true,
                sessionDescriptionHandlerOptions = { constraints = c } }
  local r = call:response(183)
  t:like(r.body, "\r\nm=video 0 ", "S-MOD-1: video declined, port 0")
  t:like(r.body, "\r\nm=audio [1-9]", "S-MOD-1: audio taken")
  rules.check(t, { "S-MOD-1" }, { constraints = c, status = 183 })
  call:prack(r)
  inv:accept()
  call:ack(call:response(200))
end)
