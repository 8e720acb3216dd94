-- siptap.checkers.reliable: the checkers of reliable provisional
-- responses: conformance.md section B (RFC 3262). Its rules:
--
--   R-WHEN-1     Require: 100rel: every non-100 provisional is reliable
--   R-WHEN-2     no 100rel in the INVITE: nothing sent reliably
--   R-WHEN-3     Supported: 100rel only: reliable exactly when the UAS chooses
--   R-HDR-1      a reliable provisional carries Require: 100rel and RSeq
--   R-RSEQ-1     RSeq starts in 1..2^31-1 and counts up by one; a
--                different response never reuses one
--   R-ONE-1      no second reliable provisional before the first is PRACKed
--   R-RETX-1     retransmitted at T1, 2*T1, 4*T1 ... with identical bytes
--   R-RETX-2     a matching PRACK stops the retransmissions
--   R-TIMEOUT-1  no PRACK within 64*T1: a 5xx
--   R-PRACK-1    a matching PRACK gets a 2xx (a refused offer in it: 488,
--                R-PRACK-4's to judge)
--   R-PRACK-2    a PRACK that matches nothing gets 481
--   R-FINAL-1    no 2xx while a reliable provisional with SDP is unPRACKed
--   R-FINAL-2    after the final response: no retransmissions, PRACKs still answered
--   R-PRACK-3    a retransmitted PRACK gets the same final response again
--
-- Retransmissions are copies of one response (W.reliables: same RSeq,
-- status, header names and body). A different response that reuses an
-- RSeq is R-RSEQ-1's finding only: the timing rules (R-RETX-1,
-- R-RETX-2, R-TIMEOUT-1) skip it, and a PRACK sent for a reused RSeq
-- after the second response came is ambiguous (which one does it
-- acknowledge?), so R-PRACK-1 and R-PRACK-2 do not judge its answer.
--
-- R-PRACK-3 looks at PRACKs the UAC sent again byte for byte (call:
-- retransmit("prack")) after the first answer arrived, over UDP and
-- within 64*T1 (the life of the server transaction; over TCP and TLS it
-- ends with its answer, RFC 3261 17.2.2, and a copy is a new request).
-- A retransmission that restarts the retransmissions of the provisional
-- it acknowledges is R-RETX-2's finding. Through a proxy (--proxy), a
-- stateful proxy answers the copy from its own transaction: what the
-- UAS got and sent is judged, and nothing when it got no copy.
--
-- Each checker: function(c, ctx, out) -> violations, checked, over one
-- call of siptap.checkers.wire; violations: { { msg = m, why = "..." },
-- ... }, added to out when given (an empty list siptap.rules lends it),
-- else to a list of its own.
-- siptap.checkers (init.lua) puts the families together.

local W = require "siptap.checkers.wire"

local has_option, rseq, is_sdp = W.has_option, W.rseq, W.is_sdp
local unique, final = W.unique, W.final
local reliables, wire_end, slack = W.reliables, W.wire_end, W.slack
local reused, same_bytes = W.reused, W.same_bytes

local rules, rule = W.family()

local function make_rack(m)
  local v = m:header("RAck")
  if not v then return nil end
  local r, c, met = v:match("^%s*(%d+)%s+(%d+)%s+(%S+)")
  return { tonumber(r), tonumber(c), met }
end

-- (kept with the message, W.derive)
local function rack(m)
  local kept = W.derive(m, "rack", make_rack)
  if not kept then return nil end
  return kept[1], kept[2], kept[3]
end

-- The answer to a PRACK: the final response with its CSeq.
local function prack_answer(c, p)
  local list_ = c.prack_answers
  for i_ = 1, #list_ do
    local a = list_[i_]
    if a.cseq == p.cseq and a.status >= 200 then return a end
  end
end

-- A PRACK whose offer was refused (RFC 3264 6) still acknowledged its
-- provisional: R-PRACK-4 judges the refusal, not R-PRACK-1.
local function refused_offer(p, a)
  return (a.status == 488 or a.status == 606) and is_sdp(p)
end

-- When each RSeq was acknowledged: the time its PRACK's 2xx arrived.
local function acked_times(c)
  local t = {}
  local list_ = c.pracks
  for i_ = 1, #list_ do
    local p = list_[i_]
    local a = prack_answer(c, p)
    local r = rack(p)
    if a and (a.status < 300 or refused_offer(p, a)) and r and not t[r] then
      t[r] = a.time
    end
  end
  return t
end

-- When the first PRACK for RSeq n went out (after time `after`, when
-- given: a PRACK for the response that arrived then).
local function prack_sent_time(c, n, after)
  local list_ = c.pracks
  for i_ = 1, #list_ do
    local p = list_[i_]
    if rack(p) == n and p.time >= (after or -math.huge) then
      return p.time
    end
  end
end

-- The UAS's own sends of reliable provisional e (siptap's UAS, when
-- it is on the wire), and when it stopped: it got the PRACK for its
-- RSeq or sent the final response.
-- answers[m]: the first copy sent after the UAS got a retransmitted
-- INVITE (the UAC's Timer A, a copy the link made): it may answer that
-- INVITE (P-RETX-1's) rather than be a timer retransmission; R-RETX-1
-- leaves it out when it came before the timer's time.
local function uas_copies(c, e)
  local n = e.rseq
  local out, stop, answers = {}, nil, {}
  local invites, answer_due = 0, nil
  local msgs = W.side(c, "uas")
  for i = 1, #msgs do
    local m = msgs[i]
    do
      if not m.sent and m.method == "INVITE" then
        invites = invites + 1
        if invites > 1 then answer_due = m.time end
      elseif m.sent and not m.request and m.cseq_method == "INVITE" then
        -- the same bytes as the first copy are the same RSeq and
        -- response (both read from the bytes): no header of it read
        if m.status > 100 and m.status < 200 and (same_bytes(m, e.first) or
           rseq(m) == n and W.same_identity(m, e.first)) then
          out[#out + 1] = m
          if answer_due then answers[m] = true end
          answer_due = nil
        elseif m.status >= 200 and #out > 0 then
          stop = stop or m.time
        end
      elseif not m.sent and m.method == "PRACK" and rack(m) == n then
        stop = stop or m.time
      end
    end
  end
  return out, stop, answers
end

rule("R-WHEN-1", "Require: 100rel: every non-100 provisional is reliable",
function(c, _, out)
  local v, n = out or {}, 0
  if not has_option(c.invite, "Require", "100rel") then return v, 0 end
  local f = final(c)
  if f and f.status == 420 then
    -- rejected for another extension the INVITE required: P-EXT-1's
    if not has_option(f, "Unsupported", "100rel") and
       #W.values(f, "Unsupported") > 0 then
      return v, 0
    end
    n = 1
    if not has_option(f, "Unsupported", "100rel") then
      v[#v + 1] = { msg = f, why = "420 without Unsupported: 100rel",
                    observed = "Unsupported: " ..
                               tostring(f:header("Unsupported") or "(none)") }
    end
    return v, n
  end
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status > 100 and r.status < 200 then
      n = n + 1
      if not rseq(r) then
        v[#v + 1] = { msg = r, why = r.status .. " sent unreliably to an "
                      .. "INVITE that requires 100rel",
                      observed = r.status .. " without RSeq" }
      end
    end
  end
  return v, n
end)

rule("R-WHEN-2", "no 100rel in the INVITE: nothing sent reliably", function(c, _, out)
  local v, n = out or {}, 0
  if has_option(c.invite, "Require", "100rel") or
     has_option(c.invite, "Supported", "100rel") then
    return v, 0
  end
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status < 200 then
      n = n + 1
      if rseq(r) or has_option(r, "Require", "100rel") then
        v[#v + 1] = { msg = r, why = r.status .. " sent reliably to an "
                      .. "INVITE without 100rel",
                      observed = r.status .. " with RSeq: " ..
                                 tostring(r:header("RSeq")) }
      end
    end
  end
  return v, n
end)

-- ctx.reliable: whether the UAS chose 100rel (rel100 option or policy).
rule("R-WHEN-3", "Supported: 100rel only: reliable exactly when the UAS chooses",
function(c, ctx, out)
  local v, n = out or {}, 0
  if ctx.reliable == nil or has_option(c.invite, "Require", "100rel") or
     not has_option(c.invite, "Supported", "100rel") then
    return v, 0
  end
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status > 100 and r.status < 200 then
      n = n + 1
      if (rseq(r) ~= nil) ~= ctx.reliable then
        v[#v + 1] = { msg = r, why = r.status .. (ctx.reliable and
                      " unreliable, the UAS chose 100rel" or
                      " reliable, the UAS did not choose 100rel") }
      end
    end
  end
  return v, n
end)

rule("R-HDR-1", "a reliable provisional carries Require: 100rel and RSeq",
function(c, _, out)
  local v, n = out or {}, 0
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status > 100 and r.status < 200 then
      local has_rseq = r:has_header("RSeq")
      local req = has_option(r, "Require", "100rel")
      if has_rseq or req then
        n = n + 1
        if not has_rseq then
          v[#v + 1] = { msg = r, why = "Require: 100rel without RSeq",
                        observed = "Require: " .. tostring(r:header("Require"))
                                   .. ", no RSeq" }
        elseif not req then
          v[#v + 1] = { msg = r, why = "RSeq without Require: 100rel",
                        observed = "RSeq: " .. tostring(r:header("RSeq")) ..
                                   ", Require: " ..
                                   tostring(r:header("Require") or "(none)") }
        elseif not rseq(r) then
          v[#v + 1] = { msg = r, why = "RSeq is not a number",
                        observed = "RSeq: " .. tostring(r:header("RSeq")) }
        end
      end
    end
  end
  return v, n
end)

rule("R-RSEQ-1", "RSeq starts in 1..2^31-1 and counts up by one; a different response never reuses one",
function(c, _, out)
  local v, n = out or {}, 0
  local prev
  local list_ = reliables(c)
  for i_ = 1, #list_ do
    local e = list_[i_]
    n = n + 1
    if e.reuse then
      v[#v + 1] = { msg = e.first, why = ("the %d reuses RSeq %d of the "
                    .. "%d before it: a different response (status, "
                    .. "header set or body), not a retransmission"):format(
                    e.first.status, e.rseq, e.reuse.first.status),
                    observed = ("RSeq: %d on the %d and on the %d"):format(
                    e.rseq, e.reuse.first.status, e.first.status) }
    elseif not prev and (e.rseq < 1 or e.rseq > 2^31 - 1) then
      v[#v + 1] = { msg = e.first, why = "first RSeq " .. e.rseq ..
                    " is outside 1..2^31-1", observed = "RSeq: " .. e.rseq }
    elseif prev and e.rseq ~= prev.rseq + 1 then
      v[#v + 1] = { msg = e.first, why = "RSeq " .. e.rseq .. " after " ..
                    prev.rseq, observed = "RSeq: " .. e.rseq }
    end
    if not e.reuse then prev = e end
  end
  return v, n
end)

rule("R-ONE-1", "no second reliable provisional before the first is PRACKed",
function(c, _, out)
  local v, n = out or {}, 0
  local list = reliables(c)
  for i = 2, #list do
    n = n + 1
    local prev, e = list[i - 1], list[i]
    local sent = prack_sent_time(c, prev.rseq, prev.first.time)
    if not sent or sent > e.first.time then
      v[#v + 1] = { msg = e.first, why = "RSeq " .. e.rseq .. " arrived "
                    .. "before RSeq " .. prev.rseq .. " was PRACKed" }
    end
  end
  return v, n
end)

-- T1, 2*T1, 4*T1 ... while nothing stops them; identical bytes.
rule("R-RETX-1", "retransmitted at T1, 2*T1, 4*T1 ... with identical bytes",
function(c, ctx, out)
  local v, n = out or {}, 0
  local f = final(c)
  local list_ = reliables(c)
  for i_ = 1, #list_ do
    local e = list_[i_]
    if e.reuse then goto next end   -- R-RSEQ-1's finding, no timing
    n = n + 1
    local stop = math.min(prack_sent_time(c, e.rseq, e.first.time) or
                          math.huge,
                          f and f.time or math.huge, wire_end(c))
    local bad
    local list_ = e.copies
    for i = 1, #list_ do
      local m = list_[i]
      if not same_bytes(m, e.first) then
        bad = { msg = m, why = "copy " .. i .. " of RSeq " .. e.rseq ..
                " differs from the first" }
        break
      end
    end
    -- The timing is measured where it is most exact: on the UAS's own
    -- sends when siptap's UAS is on the wire (what the UAC reads can be
    -- late when the loop is busy), else on what the UAC got.
    local timed, uas_stop, answers = uas_copies(c, e)
    if #timed > 0 then
      stop = uas_stop or wire_end(c)
    else
      -- the UAC's view: the first copy after each INVITE it sent again
      timed = e.copies
      for k = 2, #c.invite_copies do
        for i_ = 1, #timed do
          local m = timed[i_]
          if m.time >= c.invite_copies[k].time then
            answers[m] = true
            break
          end
        end
      end
    end
    local expect, prev, answered = ctx.t1, timed[1], 0
    for i = 2, #timed do
      if bad or timed[i].time > stop then break end
      local gap = timed[i].time - prev.time
      if gap < expect * 0.75 - 10 and (answers[timed[i]] or
                                       answers[prev]) then
        -- an early copy next to one that answers a retransmitted INVITE
        -- (either may come first): one of the two is the timer's, whose
        -- schedule goes on
        answered = answered + 1
        goto copy
      end
      local lo, hi = expect * 0.75 - 10, expect * 1.6 + 30
      if gap < lo or gap > hi then
        bad = { msg = timed[i], why = ("copy %d of RSeq %d came %.0f ms "
                .. "after the previous one, wanted %d ms"):format(i, e.rseq,
                gap, expect),
                -- a loop running late then moves the gap by as much
                late = ctx.late and ctx.late(prev.time, timed[i].time,
                                             gap < lo and lo - gap or
                                             gap - hi) }
      end
      prev = timed[i]
      expect = expect * 2
      ::copy::
    end
    -- and one whenever one was due: copies at T1, 3*T1, 7*T1 ...
    if not bad then
      local due = 0
      while ctx.t1 * (2 ^ (due + 1) - 1) + ctx.t1 * 0.6 + 30 <
            stop - e.first.time do
        due = due + 1
      end
      if #timed - 1 - answered < due then
        bad = { msg = e.first, why = ("RSeq %d was sent %d time(s) in %.0f"
                .. " ms without PRACK, wanted %d retransmission(s) at T1 "
                .. "%d ms"):format(e.rseq, #timed, stop - e.first.time,
                due, ctx.t1) }
        -- the first copy missing was due at T1 * (2^k - 1): a loop late
        -- from then until the stop, by as much, held it back
        local k = #timed - answered
        local at = e.first.time + ctx.t1 * (2 ^ k - 1)
        bad.late = ctx.late and at < stop and
                   ctx.late(at, stop, stop - at) or nil
      end
    end
    v[#v + 1] = bad
    ::next::
  end
  return v, n
end)

rule("R-RETX-2", "a matching PRACK stops the retransmissions", function(c, ctx, out)
  local v, n = out or {}, 0
  local acked = acked_times(c)
  local list_ = reliables(c)
  for i_ = 1, #list_ do
    local e = list_[i_]
    local at = not e.reuse and acked[e.rseq]
    if at then
      n = n + 1
      local list_ = e.copies
      for i_ = 1, #list_ do
        local m = list_[i_]
        if m.time > at + slack(ctx) then
          v[#v + 1] = { msg = m, why = ("RSeq %d sent again %.0f ms after "
                        .. "its PRACK was answered"):format(e.rseq,
                        m.time - at), miss = m.time - at - slack(ctx) }
          break
        end
      end
    end
  end
  return v, n
end)

rule("R-TIMEOUT-1", "no PRACK within 64*T1: a 5xx", function(c, ctx, out)
  local v, n = out or {}, 0
  local limit = 64 * ctx.t1
  local f = final(c)
  local list_ = reliables(c)
  for i_ = 1, #list_ do
    local e = list_[i_]
    if not e.reuse and not prack_sent_time(c, e.rseq, e.first.time) then
      local t0 = e.first.time
      if f and f.time < t0 + limit * 0.9 then
        -- something else ended the transaction first
      elseif f and f.time <= t0 + limit * 1.3 + 100 then
        n = n + 1
        if f.status < 500 or f.status > 599 then
          -- a status, not a time: no lateness explains it
          v[#v + 1] = { msg = f, why = "after 64*T1 without PRACK the "
                        .. "final response is " .. f.status .. ", not 5xx",
                        miss = math.huge }
        end
      elseif wire_end(c) > t0 + limit * 1.3 + 100 then
        n = n + 1
        v[#v + 1] = { msg = e.first, why = ("no final response %.0f ms "
                      .. "after RSeq %d went unPRACKed (64*T1 = %d ms)")
                      :format(wire_end(c) - t0, e.rseq, limit),
                      miss = wire_end(c) - (t0 + limit * 1.3 + 100) }
      end
    end
  end
  return v, n
end)

-- Replays the PRACKs: which matched an unacknowledged reliable
-- provisional when sent, and what answered each. Retransmitted PRACKs
-- are R-PRACK-3's; a PRACK for an RSeq that two different responses
-- carried, sent after the second came, is ambiguous (R-RSEQ-1).
local function make_prack_replay(c)
  local out = {}
  local acked = {}
  local seen = reliables(c)
  local list_ = c.pracks
  for i_ = 1, #list_ do
    local p = list_[i_]
    local rs, cs, met = rack(p)
    local known = false
    for i_ = 1, #seen do
      local e = seen[i_]
      if e.rseq == rs and e.first.time < p.time then known = true end
    end
    local twice = reused(seen, rs)
    local ambiguous = twice and twice.first.time < p.time
    local matched = known and not acked[rs] and cs == c.invite.cseq and
                    met == "INVITE"
    local a = prack_answer(c, p)
    if matched and a and a.status < 300 then acked[rs] = true end
    if not p.retransmission and not ambiguous then
      out[#out + 1] = { prack = p, matched = matched, answer = a }
    end
  end
  return out
end

-- (made once a call, W.once: read it, never change it)
local function prack_replay(c)
  return W.once(c, "prack_replay", make_prack_replay)
end

rule("R-PRACK-1", "a matching PRACK gets a 2xx", function(c, _, out)
  local v, n = out or {}, 0
  local list_ = prack_replay(c)
  for i_ = 1, #list_ do
    local x = list_[i_]
    if x.matched then
      n = n + 1
      if not x.answer then
        v[#v + 1] = { msg = x.prack, why = "no answer to a matching PRACK" }
      elseif (x.answer.status < 200 or x.answer.status > 299) and
             not refused_offer(x.prack, x.answer) then
        v[#v + 1] = { msg = x.answer, why = "a matching PRACK answered " ..
                      x.answer.status }
      end
    end
  end
  return v, n
end)

rule("R-PRACK-2", "a PRACK that matches nothing gets 481", function(c, _, out)
  local v, n = out or {}, 0
  local list_ = prack_replay(c)
  for i_ = 1, #list_ do
    local x = list_[i_]
    if not x.matched then
      n = n + 1
      if not x.answer then
        v[#v + 1] = { msg = x.prack, why = "no answer to an unmatched PRACK" }
      elseif x.answer.status ~= 481 then
        v[#v + 1] = { msg = x.answer, why = "an unmatched PRACK answered "
                      .. x.answer.status .. ", wanted 481" }
      end
    end
  end
  return v, n
end)

rule("R-FINAL-1", "no 2xx while a reliable provisional with SDP is unPRACKed",
function(c, _, out)
  local v, n = out or {}, 0
  local f = final(c)
  if not f or f.status >= 300 then return v, 0 end
  local list_ = reliables(c)
  for i_ = 1, #list_ do
    local e = list_[i_]
    if is_sdp(e.first) and e.first.time < f.time then
      n = n + 1
      local sent = prack_sent_time(c, e.rseq, e.first.time)
      if not sent or sent > f.time then
        v[#v + 1] = { msg = f, why = "2xx before RSeq " .. e.rseq ..
                      " (with SDP) was PRACKed" }
      end
    end
  end
  return v, n
end)

rule("R-FINAL-2", "after the final response: no retransmissions, PRACKs still answered",
function(c, ctx, out)
  local v, n = out or {}, 0
  local f = final(c)
  if not f then return v, 0 end
  local list_ = reliables(c)
  for i_ = 1, #list_ do
    local e = list_[i_]
    local sent = prack_sent_time(c, e.rseq, e.first.time)
    if e.first.time < f.time and (not sent or sent > f.time) then
      n = n + 1
      local list_ = e.copies
      for i_ = 1, #list_ do
        local m = list_[i_]
        if m.time > f.time + slack(ctx) then
          v[#v + 1] = { msg = m, why = "RSeq " .. e.rseq .. " retransmitted"
                        .. " after the final response" }
          break
        end
      end
    end
  end
  local list_ = prack_replay(c)
  for i_ = 1, #list_ do
    local x = list_[i_]
    if x.matched and x.prack.time > f.time then
      n = n + 1
      if not x.answer or x.answer.status > 299 then
        v[#v + 1] = { msg = x.answer or x.prack, why = "a PRACK after the "
                      .. "final response was not answered 2xx",
                      observed = x.answer and "PRACK answered " ..
                                 x.answer.status or "no answer to the PRACK" }
      end
    end
  end
  return v, n
end)

-- The final answers to PRACKs with CSeq number cseq, in arrival order.
local function prack_finals(c, cseq)
  local out = {}
  local list_ = c.prack_answers
  for i_ = 1, #list_ do
    local a = list_[i_]
    if a.cseq == cseq and a.status >= 200 then out[#out + 1] = a end
  end
  return out
end

local NO_FINALS = {}   -- (read only)

rule("R-PRACK-3", "a retransmitted PRACK gets the same final response again",
function(c, ctx, out)
  local v, n = out or {}, 0
  c = W.uas_side(c)   -- a stateful proxy answers the copy itself
  if not c then return v, 0 end
  local list_ = c.pracks
  for i = 1, #list_ do
    local p = list_[i]
    local first
    for j = 1, i - 1 do
      if not first and same_bytes(c.pracks[j], p) then
        first = c.pracks[j]
      end
    end
    local finals = first and prack_finals(c, p.cseq) or NO_FINALS
    local a1 = finals[1]
    if first and p.transport == "UDP" and a1 and a1.time <= p.time and
       p.time - first.time < 64 * ctx.t1 then
      n = n + 1
      local again
      for i_ = 1, #finals do
        local a = finals[i_]
        if not again and a ~= a1 and a.time >= p.time then again = a end
      end
      if not again then
        v[#v + 1] = { msg = p, why = ("no answer to the retransmitted "
                      .. "PRACK (CSeq %d); the first got %d"):format(
                      p.cseq, a1.status) }
      elseif again.status ~= a1.status then
        v[#v + 1] = { msg = again, why = ("the retransmitted PRACK (CSeq "
                      .. "%d) got %d, the first %d: taken for a new "
                      .. "request, not answered by its transaction")
                      :format(p.cseq, again.status, a1.status) }
      end
    end
  end
  return v, n
end)

return rules
