-- uac:invite{sdp = "webrtc"}: an offer shaped like a browser's (RFC 8829
-- 5.2.1, as Chromium writes it), on the loopback address only; the
-- reference UAS answers it in kind (S-RTC-1, S-RTC-2, run after each
-- test with the other general rules).
local sdp = require "siptap.sdp"
local flows = require "siptap.flows"


local function section(body, media)
  return sdp.sections(body).media[media]
end

local function one(m, name) return m and m.attrs[name] and m.attrs[name][1] end

-- What a browser's offer holds in each m= section
local function check_offer(t, body, n)
  local secs = sdp.sections(body)
  t:ok(sdp.is_webrtc(body), "the offer is in the WebRTC profile")
  t:is(#secs.media, n, n .. " m= section(s)")
  local problems = sdp.webrtc_problems(body)
  t:is(table.concat(problems, "; "), "", "ICE, DTLS, setup:actpass, " ..
       "rtcp-mux and a mid in each section")
  t:ok(sdp.check(body), "well formed (RFC 8866)")
  for i, m in ipairs(secs.media) do
    t:is(m.proto, "UDP/TLS/RTP/SAVPF", "section " .. i .. ": the proto")
    t:is(one(m, "mid"), tostring(i - 1), "section " .. i .. ": a=mid")
    t:like(one(m, "fingerprint"), "^sha%-256 %x%x" .. (":%x%x"):rep(31) ..
           "$", "section " .. i .. ": a sha-256 fingerprint, 32 bytes")
    for _, c in ipairs(m.attrs.candidate or {}) do
      t:like(c, "^%S+ 1 udp %d+ " .. SIPTAP.ip:gsub("%p", "%%%0")
             .. " %d+ typ host",
             "section " .. i .. ": a host candidate on " .. SIPTAP.ip)
    end
    t:ok(m.attrs.candidate, "section " .. i .. ": has a candidate")
  end
  local other = {}
  for a in body:gmatch("\nc=IN IP%d ([^\r\n]+)") do
    if a ~= SIPTAP.ip then other[#other + 1] = a end
  end
  t:is(table.concat(other, " "), "", "every c= line is on " .. SIPTAP.ip)
  t:is(table.concat(sdp.bundles(secs)[1], " "), n == 2 and "0 1" or "0",
       "a=group:BUNDLE names every mid")
end

test("a WebRTC audio offer: opus, telephone-event, ICE, DTLS, BUNDLE " ..
     "[S-RTC-1 S-RTC-2]", function(t)
  flows.webrtc_uas(t)
  local call = t:uac():invite{ sdp = "webrtc" }
  local inv = t:uas():incoming()
  local offer = inv:request().body
  check_offer(t, offer, 1)
  t:ok(sdp.has_codec(offer, "opus"), "opus")
  t:like(offer, "a=rtpmap:111 opus/48000/2\r\n", "opus/48000/2 as 111")
  t:like(offer, "a=rtpmap:126 telephone%-event/48000\r\n",
         "telephone-event/48000 as 126")
  inv:accept()
  local r = call:response(200)
  call:ack()
  local a = section(r.body, 1)
  t:is(one(a, "setup"), "active", "the answer takes the active role")
  t:is(one(a, "mid"), "0", "the answer's mid mirrors the offer's")
  t:isnt(one(a, "ice-ufrag"), one(section(offer, 1), "ice-ufrag"),
         "the answer has ICE credentials of its own")
  t:isnt(one(a, "fingerprint"), one(section(offer, 1), "fingerprint"),
         "and a certificate of its own")
  t:is(sdp.codecs(r.body)[1], "opus", "opus answered first, as offered")
end)

test("a WebRTC offer with video: VP8 and its rtx, BUNDLE 0 1 " ..
     "[S-RTC-1 S-RTC-2]", function(t)
  flows.webrtc_uas(t)
  local call = t:uac():invite{ sdp = "webrtc", video = true }
  local inv = t:uas():incoming()
  local offer = inv:request().body
  check_offer(t, offer, 2)
  local v = section(offer, 2)
  t:is(v and v.type, "video", "the second section is video")
  t:like(offer, "a=rtpmap:96 VP8/90000\r\n", "VP8 as 96")
  t:like(offer, "a=fmtp:97 apt=96\r\n", "its rtx as 97")
  inv:accept()
  local r = call:response(200)
  call:ack()
  local secs = sdp.sections(r.body)
  t:is(#secs.media, 2, "both sections answered")
  t:is(table.concat((sdp.bundles(secs) or {})[1] or {}, " "), "0 1",
       "the answer bundles both")
  flows.reference(t, "bundled sections share one port", function()
    t:is(secs.media[2].port, secs.media[1].port,
         "bundled sections share one transport")
  end)
end)

test("ICE credentials and the certificate are new on every call",
     function(t)
  flows.webrtc_uas(t)
  local seen = {}
  for i = 1, 2 do
    local call = t:uac():invite{ sdp = "webrtc" }
    local inv = t:uas():incoming()
    local m = section(inv:request().body, 1)
    seen[i] = one(m, "ice-ufrag") .. " " .. one(m, "fingerprint")
    inv:reject{ statusCode = 486 }
    call:response(486)
  end
  t:isnt(seen[1], seen[2], "two calls, two sets of credentials")
end)

test("video = true needs sdp = \"webrtc\": a clear error", function(t)
  local ok, err = pcall(function() t:uac():invite{ sdp = true, video = true } end)
  t:ok(not ok, "refused")
  t:like(tostring(err), "video = true needs sdp = \"webrtc\"", "and says why")
end)
