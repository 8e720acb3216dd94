-- re-INVITE after the ACK (RFC 3261 14, RFC 3264 8): an offer is
-- answered in the 200; without one the 200 offers and the ACK answers.
-- A re-INVITE while the first INVITE is still pending gets 500 with
-- Retry-After (RFC 3261 14.2).
local early = require "siptap.early"

-- A call up: the 200 ACKed, the invitation confirmed
local confirmed = early.confirmed

test("re-INVITE with an offer: the answer in its 200", function(t)
  local call, inv, ok = confirmed(t)
  local re = call:reinvite(ok, { sdp = early.offer{ port = 40070 } })
  t:is(re.status, 200, "re-INVITE answered 200")
  early.same_streams(t, re.body, 1, "with the answer")
  call:ack(re)
  local got = inv:next_request("INVITE")
  t:is(got.cseq, re.cseq, "inv:next_request: the UAS saw the re-INVITE")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("re-INVITE without an offer: the 200 offers, the ACK answers",
     function(t)
  local call, inv, ok = confirmed(t)
  local re = call:reinvite(ok)
  t:is(re.status, 200, "offerless re-INVITE answered 200")
  t:ok(early.taken(re.body) >= 1, "the 200 carries an offer")
  call:ack(re, { sdp = early.answer(re.body) })
  -- the exchange is closed by the ACK's answer once the UAS has it: a
  -- proxy may pass an UPDATE sent right after the ACK on first (its
  -- workers take datagrams side by side), and the UAS then rightly
  -- answers 491; so the UPDATE waits for the ACK to reach the UAS
  local ack = inv:next_request("ACK")   -- the INVITE's first, maybe
  while ack.cseq ~= re.cseq do ack = inv:next_request("ACK") end
  t:is(ack.cseq, re.cseq, "the UAS got the ACK of the re-INVITE's 200")
  local u = call:update(ok, { sdp = early.offer{ port = 40072 } })
  t:ok(u.status ~= 491, "an UPDATE after it is no glare (not 491)")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("re-INVITE while the INVITE is pending: 500 with Retry-After", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  local r = call:response(180)
  local re = call:reinvite(r, { sdp = early.offer{ port = 40074 } })
  t:is(re.status, 500, "500 to the re-INVITE")
  t:like(re:header("Retry-After") or "", "^%d+", "with Retry-After")
  call:ack(re)
  inv:accept()
  call:ack(call:response(200))
end)

-- The UAS's own re-INVITE (RFC 3261 14.1): after the ACK only; the UAC
-- answers it 200, and the UAS ACKs that 200 before inv:reinvite returns.
-- Through --agent (SIP.js: Session.invite()) too; what the RFC forbids
-- is SIP.js's to refuse there.
local REFUSED = SIPTAP.agent and "refused" or "early dialog"

test("the UAS's re-INVITE with an offer: the UAC's answer in the 200",
     function(t)
  local call, inv = confirmed(t)
  local re = inv:reinvite()
  t:is(re.status, 200, "the UAC answers the re-INVITE 200")
  early.same_streams(t, re.body, 1, "with its answer")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("the UAS's re-INVITE without an offer: the UAC offers, the ACK answers",
     function(t)
  local call, inv = confirmed(t)
  local re = inv:reinvite{ sdp = false }
  t:is(re.status, 200, "the UAC answers the offerless re-INVITE 200")
  t:ok(early.taken(re.body) >= 1, "its 200 carries an offer")
  if not SIPTAP.agent then
    -- the exchange is closed by the ACK's answer: the UAS may offer
    -- again (SIP.js sends no UPDATE)
    local u = inv:update()
    t:is(u.status, 200, "an UPDATE after it is taken")
  end
  t:is(inv:bye().status, 200, "the UAS hangs up")
end)

test("the UAS's re-INVITE refused 491 is offered again after the back-off",
     function(t)
  local call, inv = confirmed(t)
  call:refuse("INVITE", 491)
  local re = inv:reinvite()
  t:is(re.status, 200, "the second re-INVITE is answered 200")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

-- Session.invite()'s options with SIP.js's meaning: hold makes the new
-- offer sendonly (SIP.js's updateDirection), false takes it off hold
-- (sendrecv); the modifiers run over the offer. The re-INVITE as the
-- UAC got it: what went on the wire.
local function reinvite_got(t, cseq)
  for _, m in ipairs(t:wire()) do
    if m.role == "uac" and not m.sent and m.method == "INVITE" and
       m.cseq == cseq then
      return m.body
    end
  end
  return ""
end

test("the UAS holds the call and resumes it (sessionDescriptionHandlerOptions.hold)",
     function(t)
  local call, inv = confirmed(t)
  local held = inv:reinvite{ sessionDescriptionHandlerOptions = { hold = true } }
  t:is(held.status, 200, "the hold re-INVITE is answered 200")
  local offer = reinvite_got(t, held.cseq)
  t:like(offer, "a=sendonly", "hold: the offer is sendonly")
  t:unlike(offer, "a=sendrecv", "hold: no stream of it sendrecv")
  t:like(held.body, "a=recvonly", "the UAC's answer receives only")
  local back = inv:reinvite{ sessionDescriptionHandlerOptions = { hold = false } }
  t:is(back.status, 200, "the resume re-INVITE is answered 200")
  t:like(reinvite_got(t, back.cseq), "a=sendrecv",
         "resumed: the offer is sendrecv again")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("re-INVITE of the UAS's: sessionDescriptionHandlerModifiers run over its offer",
     function(t)
  local call, inv = confirmed(t)
  local types = {}
  local re = inv:reinvite{ sessionDescriptionHandlerModifiers = {
    function(sdp, type)
      types[#types + 1] = type
      return sdp .. "a=x-siptap-modified\r\n"
    end } }
  t:is(re.status, 200, "the re-INVITE is answered 200")
  t:like(reinvite_got(t, re.cseq), "a=x%-siptap%-modified",
         "the modified offer went on the wire")
  t:is(table.concat(types, ","), "offer", "the modifier ran once, over the offer")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

-- (the agent's UAS has no t:uas{sdp = "webrtc"}; SIP.js in Chromium
-- restarts ICE itself: tests/peers/sipjs/run --browser)
test("re-INVITE of the UAS's: offerOptions.iceRestart gives new ICE credentials",
     { skip = SIPTAP.agent and "t:uas{sdp = \"webrtc\"} is the reference " ..
       "UAS's: the agent's UAS has no such option" }, function(t)
  t:uas{ sdp = "webrtc" }
  local call, inv, ok = confirmed(t, { sdp = "webrtc" })
  local re = inv:reinvite{
    sessionDescriptionHandlerOptions = { offerOptions = { iceRestart = true } } }
  t:is(re.status, 200, "the re-INVITE is answered 200")
  local before = ok.body:match("a=ice%-ufrag:(%S+)")
  local after = reinvite_got(t, re.cseq):match("a=ice%-ufrag:(%S+)")
  t:ok(before and after and before ~= after,
       ("a new ice-ufrag in the offer (%s, then %s)"):format(before, after))
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("no re-INVITE from the UAS before the ACK", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  t:raises(function() inv:reinvite() end, REFUSED,
           "inv:reinvite in the early dialog is refused (RFC 3261 14.1)")
  inv:accept()
  call:ack(call:response(200))
end)

-- A re-INVITE's 2xx is sent again until its ACK (RFC 3261 14.2,
-- 13.3.1.4), as the first INVITE's: the ACK lost on a UDP link.
local flows = require "siptap.flows"

local function sent(t, role, what, cseq)
  local n = 0
  for _, m in ipairs(t:wire()) do
    if m.role == role and m.sent and m.cseq == cseq and (m.method == what or
       (m.status and m.status .. " " .. m.cseq_method == what)) then
      n = n + 1
    end
  end
  return n
end

test("the ACK of the re-INVITE's 200 lost: the UAS sends the 200 again [P-2XX-1]",
     function(t)
  flows.direct_udp(t)
  local call, inv, ok = confirmed(t)
  t:link{ drop = "ACK", to = "uas" }
  local re = call:reinvite(ok, { sdp = early.offer{ port = 40076 } })
  call:ack(re)
  inv:next_request("INVITE")
  -- the copy of the 200 gets the ACK again; the UAS sees that one
  local ack = inv:next_request("ACK", { timeout = 40 * SIPTAP.t1 })
  t:is(ack.cseq, re.cseq, "the re-INVITE's ACK reached the UAS at last")
  t:ok(sent(t, "uas", "200 INVITE", re.cseq) >= 2,
       "P-2XX-1: the UAS sent its 200 to the re-INVITE again")
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("the ACK of the UAC's 200 to the UAS's re-INVITE lost: the UAC sends it again",
     function(t)
  flows.direct_udp(t)
  local call, inv = confirmed(t)
  t:link{ drop = "ACK", to = "uac" }
  local re = inv:reinvite()
  t:is(re.status, 200, "the UAC answers the re-INVITE 200")
  -- the UAC's first copy of its 200 is due at T1, the UAS's ACK right
  -- after it: looked for every T1, 40*T1 at most (a loaded machine)
  for _ = 1, 40 do
    if sent(t, "uas", "ACK", re.cseq) >= 2 then break end
    t:sleep(SIPTAP.t1)
  end
  t:ok(sent(t, "uac", "200 INVITE", re.cseq) >= 2,
       "the UAC sent its 200 again")
  t:ok(sent(t, "uas", "ACK", re.cseq) >= 2, "the UAS ACKed the copy")
  t:is(inv:bye().status, 200, "the UAS hangs up")
end)
