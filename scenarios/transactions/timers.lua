-- Timers of the INVITE and PRACK transactions: the 2xx is retransmitted
-- until the ACK (RFC 3261 13.3.1.4, P-2XX-1); a retransmitted PRACK is
-- answered again by its server transaction (R-PRACK-3); a different
-- response never takes an RSeq already used (R-RSEQ-1).
local rules = require "siptap.rules"

local UDP_ONLY = SIPTAP.transport ~= "UDP" and
  "over TCP and TLS a copy is a new request (RFC 3261 17.2.2)"

-- Copies of the 2xx as the UAC got them.
local function copies(call, ok)
  local n = 0
  for _, m in ipairs(call:responses()) do
    if m.raw == ok.raw then n = n + 1 end
  end
  return n
end

-- Copies of the 2xx sent after the ACK (RFC 3261 13.3.1.4: the ACK ends
-- the retransmissions). Where siptap's UAS is on the wire (through a
-- proxy too), what it sent once it had the ACK: a copy it sent before,
-- still on its way when the UAC sent the ACK, crosses it and is none.
-- Against a remote UAS, the copies the UAC got later than the slack of
-- the timing rules (and siptap's own lateness then) after its ACK.
local function after_ack(t, ok, t1)
  local wire = t:wire()
  local c
  for _, x in ipairs(rules.calls(wire)) do
    if x.id == ok.call_id then c = x end
  end
  local n, acked = 0, nil
  if c and c.uas_id then
    for _, m in ipairs(wire) do
      if m.role == "uas" and m.call_id == c.uas_id then
        if not m.sent and m.method == "ACK" then
          acked = acked or m.time
        elseif acked and m.sent and m.status == 200 and
               m.cseq_method == "INVITE" then
          n = n + 1
        end
      end
    end
    return n
  end
  for _, m in ipairs(wire) do
    if m.role == "uac" and m.sent and m.method == "ACK" and
       m.call_id == ok.call_id then
      acked = acked or m.time
    elseif acked and m.role == "uac" and not m.sent and m.raw == ok.raw then
      local late = t:late(acked, m.time)
      if m.time > acked + math.max(30, t1 // 4) + late then n = n + 1 end
    end
  end
  return n
end

test("the ACK held back: the 2xx comes again at T1, 2*T1, 4*T1 ... up to T2, then stops [P-2XX-1]",
     function(t)
  local uas = t:uas{ t1 = 50 }
  local t1 = t:uas_t1()
  local call = t:uac():invite{ sdp = true }
  local inv = uas:incoming()
  inv:accept()
  local ok = call:response(200)
  t:sleep(24 * t1)                    -- at T1, 3, 7, 15, 23*T1 (T2 = 8*T1)
  local before = copies(call, ok)
  if ok.transport == "UDP" then
    t:ok(before >= 4, ("the 2xx %d times before the ACK"):format(before))
  end
  call:ack(ok)
  t:sleep(10 * t1)
  t:is(after_ack(t, ok, t1), 0, "none after the ACK")
  rules.check(t, { "P-2XX-1" }, { t1 = t1 })
  call:bye()
end)

test("no ACK at all: the 2xx retransmissions end after 64*T1 [P-2XX-1]",
     function(t)
  local uas = t:uas{ t1 = 50 }      -- gaps of a few T1: timer jitter small
  local t1 = t:uas_t1()
  local call = t:uac():invite{}
  uas:incoming():accept()
  local ok = call:response(200)
  t:sleep(64 * t1 + 16 * t1)
  -- each copy's timer starts when the one before went out: siptap's
  -- loop running late (t:late) pushes the last of the ten or so later
  -- by as much each time
  t:sleep(10 * t:late())
  local n = copies(call, ok)
  t:sleep(10 * t1)
  t:is(copies(call, ok), n, "nothing after 64*T1")
  rules.check(t, { "P-2XX-1" }, { t1 = t1 })
end)

test("a retransmitted PRACK gets the same 200 again; nothing restarts [R-PRACK-3 R-RETX-2]",
     { skip = UDP_ONLY }, function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  local pr = call:prack(r)
  t:is(pr.status, 200, "the PRACK: 200")
  local again = call:retransmit("prack")
  t:is(again.status, pr.status, "the copy: the same status")
  t:is(again.raw, pr.raw, "the same bytes")
  t:sleep(3 * t:uas_t1())
  local later = 0
  for _, m in ipairs(call:responses()) do
    if m.status == 183 and m.time > again.time then later = later + 1 end
  end
  t:is(later, 0, "the 183 is not sent again")
  rules.check(t, { "R-PRACK-3", "R-RETX-2", "R-PRACK-2" }, { always = true })
  inv:accept()
  call:ack(call:response(200))
end)

test("180 then a different 183, both reliable: the 183 takes the next RSeq [R-RSEQ-1]",
     function(t)
  local call = t:uac():invite{ require = "100rel", sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  local first = call:response(180)
  call:prack(first)
  inv:progress{ statusCode = 183, extraHeaders = { "X-Second: yes" } }
  local second = call:response(183)
  t:is(tonumber(second:header("RSeq")), tonumber(first:header("RSeq")) + 1,
       "RSeq one higher")
  call:prack(second)
  inv:accept()
  call:ack(call:response(200))
  rules.check(t, { "R-RSEQ-1" }, { always = true })
end)
