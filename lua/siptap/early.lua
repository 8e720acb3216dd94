-- siptap.early: what the early-dialog scenarios (scenarios/early/)
-- share: SDP offers and answers the UAC sends in PRACK, UPDATE and
-- re-INVITE, and the checks of what comes back.
--
--   local early = require "siptap.early"
--   call:prack(r, { sdp = early.offer{ port = 40010 } })
--   call:prack(r, { sdp = early.answer(r.body) })

local flows = require "siptap.flows"

local M = {}

local session = 0

-- An SDP offer of one audio stream: codec (default PCMU/8000, static
-- type 0; another name gets dynamic type 96), port (default 40000),
-- direction (default sendrecv). Each offer has a version of its own.
function M.offer(o)
  o = o or {}
  session = session + 1
  local codec = o.codec or "PCMU/8000"
  local pt = codec == "PCMU/8000" and 0 or 96
  return table.concat({
    "v=0",
    ("o=uac 4242 %d IN IP4 127.0.0.1"):format(session),
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    ("m=audio %d RTP/AVP %d"):format(o.port or 40000, pt),
    ("a=rtpmap:%d %s"):format(pt, codec),
    "a=" .. (o.direction or "sendrecv"),
    "",
  }, "\r\n")
end

-- An answer to offer (the UAS's): its first stream taken with its first
-- format, the others refused (port 0).
function M.answer(offer)
  local out = { "v=0", "o=uac 4343 1 IN IP4 127.0.0.1", "s=-",
                "c=IN IP4 127.0.0.1", "t=0 0" }
  local first = true
  for line in (offer or ""):gmatch("[^\r\n]+") do
    local media, proto, fmt = line:match("^m=(%S+) %d+ (%S+) (%S+)")
    if media then
      out[#out + 1] = ("m=%s %d %s %s"):format(media, first and 40020 or 0,
                                               proto, fmt)
      first = false
    end
  end
  out[#out + 1] = ""
  return table.concat(out, "\r\n")
end

-- The rest of a test needs r reliable (flows.reliable: the finding is
-- R-WHEN-3's when it is not).
function M.reliable(t, r)
  return flows.reliable(t, r, "R-WHEN-3")
end

-- The m= lines of an SDP with a port other than 0.
function M.taken(sdp)
  local n = 0
  for port in (sdp or ""):gmatch("\nm=%S+ (%d+)") do
    if tonumber(port) ~= 0 then n = n + 1 end
  end
  return n
end

-- A call up and confirmed: the INVITE (invite: uac:invite's options,
-- default an offer), its 200 and the ACK, the UAS sure of it. Returns
-- the call, the invitation and the 200.
function M.confirmed(t, invite)
  local call = t:uac():invite(invite or { sdp = true })
  local inv = t:uas():incoming()
  inv:accept()
  local ok = call:response(200)
  call:ack(ok)
  inv:wait("confirmed")
  return call, inv, ok
end

function M.same_streams(t, sdp, n, what)
  return t:is(M.taken(sdp), n, what)
end

return M
