-- t:uas{sdp = "webrtc"}: to an INVITE without an offer the reference
-- UAS offers as a browser does (S-OFF-1: in the first reliable
-- response), an offer checked here for the profile: ICE, DTLS,
-- setup:actpass, rtcp-mux, a mid in each section, BUNDLE.
local sdp = require "siptap.sdp"

local AGENT = SIPTAP.agent and "t:uas{sdp = \"webrtc\"} is the reference " ..
  "UAS's: the agent's UAS has no such option"

local function profile(t, body)
  t:ok(sdp.is_webrtc(body), "a WebRTC offer")
  t:is(table.concat(sdp.webrtc_problems(body), "; "), "",
       "ICE, DTLS, setup:actpass, rtcp-mux and a mid in each section")
  local secs = sdp.sections(body)
  t:is(table.concat((sdp.bundles(secs) or {})[1] or {}, " "), "0",
       "a=group:BUNDLE 0")
  t:ok(sdp.check(body), "well formed (RFC 8866)")
end

test("an offerless INVITE: the 200 carries a WebRTC offer [S-OFF-1]",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{}
  local inv = t:uas{ sdp = "webrtc" }:incoming()
  inv:accept()
  local r = call:response(200)
  call:ack()
  profile(t, r.body)
end)

test("an offerless INVITE with 100rel: the reliable 183 carries it, the " ..
     "200 repeats it [S-OFF-1 S-ANS-1]", { skip = AGENT }, function(t)
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas{ sdp = "webrtc" }:incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local p = call:response(183)
  profile(t, p.body)
  call:prack(p)
  inv:accept()
  call:response(200)
  call:ack()
end)

test("t:uas{sdp = ...} takes \"webrtc\" only: a clear error",
     { skip = AGENT }, function(t)
  local ok, err = pcall(function() t:uas{ sdp = "rtp" } end)
  t:ok(not ok, "refused")
  t:like(tostring(err), 'sdp must be "webrtc", got \'rtp\'', "and says why")
end)

-- The profile check above can fail: the UAS's own offer, broken by hand
test("an offer without mid, with setup:active, without fingerprint " ..
     "fails the profile check", { skip = AGENT }, function(t)
  local call = t:uac():invite{}
  local inv = t:uas{ sdp = "webrtc" }:incoming()
  inv:accept()
  local body = call:response(200).body
  call:ack()
  local function problems(from, to)
    return table.concat(sdp.webrtc_problems((body:gsub(from, to))), "; ")
  end
  t:is(problems("a=mid:0\r\n", ""), "m= line 1 (audio): no a=mid",
       "no mid")
  t:is(problems("a=setup:actpass", "a=setup:active"),
       "m= line 1 (audio): a=setup:active in an offer (wanted actpass)",
       "setup:active")
  t:is(problems("a=fingerprint:[^\r]*\r\n", ""),
       "m= line 1 (audio): no a=fingerprint", "no fingerprint")
end)

test("codecs and direction shape the UAS's WebRTC offer [S-MOD-1 S-OFF-1]",
     { skip = AGENT }, function(t)
  local rules = require "siptap.rules"
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas{ sdp = "webrtc" }:incoming()
  inv:progress{ statusCode = 183, rel100 = true,
    sessionDescriptionHandlerOptions = { codecs = { "PCMA", "opus" },
                                         direction = "sendonly" } }
  local p = call:response(183)
  profile(t, p.body)
  rules.check(t, { "S-MOD-1" }, { codecs = { "PCMA", "opus" },
                                 direction = "sendonly" })
  call:prack(p)
  inv:accept()
  call:response(200)
  call:ack()
end)

-- SIP.js's dataChannel: an m=application section in the UAS's WebRTC
-- offer; an answer cannot add a stream the offer lacks (RFC 3264 6).
test("dataChannel = true: the UAS's WebRTC offer has a data channel " ..
     "[S-OFF-1 S-MOD-1]", { skip = AGENT }, function(t)
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas{ sdp = "webrtc" }:incoming()
  inv:progress{ statusCode = 183, rel100 = true,
                sessionDescriptionHandlerOptions = { dataChannel = true } }
  local p = call:response(183)
  t:is(table.concat(sdp.webrtc_problems(p.body), "; "), "",
       "ICE, DTLS, setup:actpass, rtcp-mux and a mid in each section")
  t:like(p.body, "\r\nm=application %d+ UDP/DTLS/SCTP webrtc%-datachannel\r\n",
         "S-MOD-1: an m=application section for the data channel")
  t:is(table.concat((sdp.bundles(sdp.sections(p.body)) or {})[1] or {}, " "),
       "0 1", "a=group:BUNDLE 0 1: the data channel in the bundle")
  t:ok(sdp.check(p.body), "well formed (RFC 8866)")
  call:prack(p)
  inv:accept()
  call:response(200)
  call:ack()
end)

test("dataChannel = true in an answer is refused, naming it [S-MOD-1]",
     { skip = AGENT }, function(t)
  local call = t:uac():invite{ sdp = "webrtc" }
  local inv = t:uas():incoming()
  t:raises(function()
    inv:progress{ statusCode = 183,
                  sessionDescriptionHandlerOptions = { dataChannel = true } }
  end, "dataChannel", "S-MOD-1: refused, naming the option")
  inv:reject{ statusCode = 488 }
  call:response(488)
end)
