-- Retransmission of a reliable provisional (RFC 3262 3): at T1, 2*T1,
-- 4*T1 ... until the PRACK; after 64*T1 without PRACK, a 5xx. The
-- INVITEs go once (retransmit = false): a copy of one, sent when the
-- first response is slow, gets the provisional again (P-RETX-1) and
-- would shift the times measured here.
local flows = require "siptap.flows"

-- Times (ms) of each copy of the response with this status: as siptap's
-- UAS sent them when it is on the wire (a proxy in between adds its own
-- delay to each copy, a few ms either way), else as the UAC got them.
local function copies(t, call, status)
  local sent, got = {}, {}
  for _, m in ipairs(t:wire()) do
    if m.role == "uas" and m.sent and m.status == status then
      sent[#sent + 1] = m.time
    end
  end
  for _, m in ipairs(call:responses()) do
    if m.status == status then got[#got + 1] = m.time end
  end
  return #sent > 0 and sent or got
end

test("reliable 180 retransmitted at T1 and 2*T1, until the PRACK [R-RETX-1 R-RETX-2]",
     function(t)
  local t1 = t:t1()
  local call = t:uac():invite{ supported = "100rel", retransmit = false }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180, rel100 = true }
  local r = call:response(180)
  if not flows.reliable(t, r, "R-WHEN-3") then return end
  t:sleep(t1 * 5)                    -- copies at T1 and 3*T1, next at 7*T1

  -- a loop running late (siptap's, or the browser's) moves these times
  -- by its lateness: flows.timing says whose a miss within it is
  local times = copies(t, call, 180)
  local own, host = t:late(r.time, r.time + t1 * 5)
  if #times ~= 3 and math.max(own, host) >= t1 then
    t:skip(("siptap's loop (%d ms) or the UAS's host (%d ms) ran as late "
            .. "as T1 then: the copies in 5*T1 are not the UAS's count")
           :format(own, host),
           "R-RETX-1: the original and two retransmissions")
  else
    t:is(#times, 3, "R-RETX-1: the original and two retransmissions")
  end
  if #times == 3 then
    local gap1, gap2 = times[2] - times[1], times[3] - times[2]
    flows.timing(t, gap1, t1 * 0.9, t1 * 1.5,
                 ("first gap %.0f ms ~ T1"):format(gap1), times[1], times[2])
    flows.timing(t, gap2, 2 * t1 * 0.9, 2 * t1 * 1.5,
                 ("second gap %.0f ms ~ 2*T1"):format(gap2), times[2], times[3])
  end
  local all = call:responses()
  t:is(all[#all].raw, r.raw, "retransmissions are identical bytes")

  call:prack(r)
  local before = #copies(t, call, 180)
  t:sleep(t1 * 5)
  t:is(#copies(t, call, 180), before, "R-RETX-2: the PRACK stopped them")
end)

test("no PRACK within 64*T1: the INVITE is rejected with a 5xx [R-TIMEOUT-1]",
     function(t)
  local uas = t:uas{ t1 = 20 }
  local t1 = t:uas_t1()              -- a remote UAS may keep its own
  local call = t:uac():invite{ supported = "100rel", retransmit = false }
  local inv = uas:incoming()
  inv:progress{ statusCode = 180, rel100 = true }
  if not flows.reliable(t, call:response(180), "R-WHEN-3") then return end
  -- no final response at all is R-TIMEOUT-1's finding, not an error
  local got, final = pcall(call.response, call, nil,
                           { timeout = 64 * t1 + 2000 })
  while got and final.status < 200 do
    got, final = pcall(call.response, call, nil,
                       { timeout = 64 * t1 + 2000 })
  end
  if not t:ok(got, "R-TIMEOUT-1: a final response after 64*T1") then
    return
  end
  t:ok(final.status >= 500 and final.status < 600, "a 5xx: " .. final.status)
  t:ok(final.time >= 64 * t1 * 0.9, ("after 64*T1 (%.0f ms)"):format(final.time))
  call:ack(final)
end)

test("a retransmitted INVITE gets the latest provisional again [P-RETX-1]",
     function(t)
  local call = t:uac():invite{ retransmit = false }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  inv:progress{ statusCode = 183, extraHeaders = { "X-Latest: yes" } }
  local latest = call:response(183)
  call:retransmit()
  t:sleep(100)
  local all = call:responses()
  if SIPTAP.proxy then
    -- A stateful proxy absorbs the retransmission (hop by hop, RFC 3261
    -- 17.2.1) and answers with the latest provisional it forwarded: the
    -- 180 when its workers handled the 180 after the 183.
    local again = false
    for _, m in ipairs(all) do
      again = again or (m.retransmission and m.status > 100 and
                        m.status < 200)
    end
    t:ok(again, "a provisional again, marked as a retransmission")
    return
  end
  t:is(all[#all].raw, latest.raw, "the 183 again, unchanged")
  t:ok(all[#all].retransmission, "P-RETX-1: marked as a retransmission")
end)
