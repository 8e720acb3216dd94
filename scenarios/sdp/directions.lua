-- Offers with one-way and inactive streams: each answered direction
-- fits the offered one (RFC 3264 6.1), a session-level direction
-- applies to streams without their own.
local sdp = require "siptap.sdp"

local function offer(session_dir, media_dir)
  local ls = { "v=0", "o=uac 2890844526 1 IN IP4 127.0.0.1", "s=-",
               "c=IN IP4 127.0.0.1", "t=0 0" }
  if session_dir then ls[#ls + 1] = "a=" .. session_dir end
  ls[#ls + 1] = "m=audio 40000 RTP/AVP 0 8"
  if media_dir then ls[#ls + 1] = "a=" .. media_dir end
  return table.concat(ls, "\r\n") .. "\r\n"
end

local cases = {
  { "sendonly", nil, "sendonly", "recvonly" },
  { "recvonly", nil, "recvonly", "sendonly" },
  { "inactive", nil, "inactive", "inactive" },
  { "session-level sendonly", "sendonly", nil, "recvonly" },
  { "recvonly overriding a session-level sendonly", "sendonly", "recvonly",
    "sendonly" },
}

for _, k in ipairs(cases) do
  local name, session_dir, media_dir, want = k[1], k[2], k[3], k[4]
  test(("offered %s: answered %s [S-OA-2 S-OA-1 S-ANS-2]"):format(name,
       want), function(t)
    local call = t:uac():invite{ sdp = offer(session_dir, media_dir) }
    local inv = t:uas():incoming()
    inv:progress{ statusCode = 183 }
    local r = call:response(183)
    t:is(sdp.direction(r.body), want, "the answer's direction")
    inv:accept()
    t:is(call:response(200).body, r.body, "the 200 repeats the answer")
    call:ack()
  end)
end

test("offered sendonly, our own choice inactive: still a fit [S-OA-2 S-MOD-1]",
     function(t)
  local call = t:uac():invite{ sdp = offer(nil, "sendonly") }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = false,
                sessionDescriptionHandlerOptions = { direction = "inactive" } }
  local r = call:response(183)
  t:is(sdp.direction(r.body), "inactive", "inactive")
  inv:reject{ statusCode = 486 }
  call:response(486)
end)
