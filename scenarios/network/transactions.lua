-- siptap's UAC transactions over UDP (RFC 3261 17.1): an unanswered
-- request is sent again, the same bytes, at T1 doubling (Timer A) or up
-- to T2 (Timer E), and after 64*T1 with no answer a wait ends "no
-- response (Timer B)". retransmit = false keeps the single send.

-- The INVITEs our UAC sent that reached the UAS, and their times
local flows = require "siptap.flows"

local function invites(t, role)
  local out = {}
  for _, m in ipairs(t:wire()) do
    if m.role == role and m.method == "INVITE" then out[#out + 1] = m end
  end
  return out
end

test("a delayed INVITE is sent again at T1 (Timer A), the same bytes",
     function(t)
  flows.direct_udp(t)
  t:link{ delay = "INVITE", to = "uas", ms = 8 * t:t1() }
  flows.answered(t)
  local sent = invites(t, "uac")
  t:ok(#sent >= 2, "the UAC sent the INVITE again")
  if #sent < 2 then return end
  t:is(sent[2].raw, sent[1].raw, "the same bytes (branch, CSeq)")
  local gap = sent[2].time - sent[1].time
  t:ok(gap >= 0.75 * t:t1() and gap <= 1.6 * t:t1() + 30,
       ("the copy came %.0f ms after the first, T1 %d"):format(gap, t:t1()))
end)

test("retransmit = false: one INVITE, however long the answer takes",
     function(t)
  flows.direct_udp(t)
  t:link{ delay = "INVITE", to = "uas", ms = 4 * t:t1() }
  flows.answered(t, { retransmit = false })
  t:is(#invites(t, "uac"), 1, "one INVITE sent")
end)

test("no answer at all: the wait ends with Timer B after 64*T1",
     function(t)
  flows.direct_udp(t)
  t:link{ drop = "INVITE", to = "uas", copies = "all" }
  -- T1 20 ms for this UAC: Timer B at 1.28 s, whatever --t1 says
  local call = t:uac{ t1 = 20 }:invite{ sdp = true }
  t:raises(function() call:response(nil, { timeout = 600000 }) end,
           "no response %(Timer B: none in 64%*T1 = 1280 ms to the INVITE%)",
           "the wait raises Timer B")
  local copies = 0
  for _, m in ipairs(t:wire()) do
    if m.role == "uas" and m.method == "INVITE" then copies = copies + 1 end
  end
  t:is(copies, 0, "the UAS got none of the INVITE's copies")
end)

test("a lost BYE is sent again (Timer E) and answered", function(t)
  flows.direct_udp(t)
  t:link{ drop = "BYE", to = "uas" }
  local call = flows.answered(t)
  t:is(call:bye().status, 200, "the copy of the BYE got 200")
end)

test("t:link's errors name the option", function(t)
  flows.direct_udp(t)
  t:raises(function() t:link{ drop = "PRACK INVITE" } end,
           "t:link: drop: 'PRACK INVITE' is no message", "a bad message")
  t:raises(function() t:link{ drop = "PRACK", to = "proxy" } end,
           "t:link: to must be", "a bad direction")
  t:raises(function() t:link{ delay = "180" } end,
           "t:link: delay needs ms", "a delay without ms")
  t:raises(function() t:link{ drop = "180", loss = 5 } end,
           "loss is a rule of its own", "loss with a rule")
  t:raises(function() t:uac():invite{ retransmit = "no" } end,
           "invite: retransmit must be a boolean", "retransmit not a boolean")
end)
