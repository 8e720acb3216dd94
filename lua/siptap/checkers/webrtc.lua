-- siptap.checkers.webrtc: the UAS's answers to an offer in the WebRTC
-- profile (UDP/TLS/RTP/SAVPF with ICE and DTLS: RFC 8829 JSEP, 8842,
-- 8839, 5763, 5761, 8843). Its rules:
--
--   S-RTC-1  a WebRTC offer is answered in kind: a=fingerprint,
--            a=setup active or passive (never actpass), a=ice-ufrag and
--            a=ice-pwd, a=rtcp-mux when offered, a=mid on each m= line
--   S-RTC-2  the answer's a=group:BUNDLE names a subset of the offer's
--            bundled mids, among the mids the answer uses
--
-- Both judge only when the INVITE's offer is in the profile; an RTP/AVP
-- offer is none of theirs. Who reports what:
--   * S-RTC-1 judges the streams the answer accepts (port other than 0)
--     and S-OA-1 can pair with an offered one of the same media type;
--     a stream missing, added or of another type is S-OA-1's. Transport
--     attributes of a bundled stream may stand in its BUNDLE-tag's
--     section only (RFC 8843 7.3.1): those count for it.
--   * Grammar is S-FMT-1's: a=fingerprint or a=ice-pwd whose value is
--     malformed is S-RTC-1's (RFC 8122 5, RFC 8839 5.4), an a= line
--     that is no attribute at all is S-FMT-1's.
--   * A BUNDLE group naming an offered mid that no section of the
--     answer carries is S-RTC-1's (the section did not mirror its mid)
--     or S-OA-1's (the section is missing), not S-RTC-2's.
--   * An answer without a=group:BUNDLE declines bundling, which RFC 8843
--     allows: S-RTC-2 has nothing to judge.

local W = require "siptap.checkers.wire"
local sdp = require "siptap.sdp"

local is_sdp = W.is_sdp

local rules, rule = W.family()

-- The UAS's answers to the INVITE's WebRTC offer, each distinct SDP once.
local function answers(c)
  if not is_sdp(c.invite) or not sdp.is_webrtc(c.invite.body) then
    return {}
  end
  return W.answers(c)
end

-- What was seen, from the first problem: its text after the stream,
-- without what was wanted
local function first_value(p)
  return ((p:match(": (.*)$") or p):gsub(" %(wanted .*%)$", ""))
end

rule("S-RTC-1", "a WebRTC offer is answered in kind: fingerprint, setup active|passive, ICE, rtcp-mux, mid",
function(c, _, out)
  local v, n = out or {}, 0
  local list_ = answers(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    local out, judged = sdp.webrtc_problems(r.body, c.invite.body)
    n = n + judged
    if #out > 0 then
      v[#v + 1] = { msg = r, observed = first_value(out[1]),
                    why = "the " .. r.status .. " answer: " ..
                    table.concat(out, "; ") }
    end
  end
  return v, n
end)

rule("S-RTC-2", "the answer's a=group:BUNDLE names a subset of the offer's bundled mids, ones it uses",
function(c, _, out)
  local v, n = out or {}, 0
  local list_ = answers(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    local out, judged = sdp.bundle_problems(r.body, c.invite.body)
    if judged then n = n + 1 end
    if #out > 0 then
      v[#v + 1] = { msg = r, observed = out[1]:match("^(.-) names") ..
                    "", why = "the " .. r.status .. " answer: " ..
                    table.concat(out, "; ") }
    end
  end
  return v, n
end)

return rules
