-- siptap.checkers.dialog: the checkers of the early and the confirmed
-- dialog beyond the INVITE's responses (conformance-next.md, issue 19):
--
--   R-PRACK-4  a PRACK with an offer gets the answer in its 2xx (or a
--              rejection per RFC 3264: 488)
--   P-BYE-1    a BYE in the early dialog: 200, then a final response to
--              the INVITE (487 recommended)
--   P-UPD-1    an UPDATE in the early dialog is answered: 2xx with the
--              answer to its offer;
--              491 while the UAS's own offer is open; 500 with
--              Retry-After while the one before is not answered
--   P-UPD-2    the UAS's UPDATE in the early dialog: only after a
--              reliable provisional or an Allow: UPDATE of the INVITE,
--              never while an offer is open, with a new offer (a
--              changed session has its o= version above the UAS's SDP
--              before; an unchanged one keeps it, S-VER-1)
--
-- They follow the offer/answer of the call in wire order (W.from_caller
-- tells the caller's messages from the UAS's, in a call as the UAC saw
-- it and in W.uas_view's): open is "caller" while the caller's offer
-- waits for its answer, "callee" while the UAS's does, nil when none is
-- open. An SDP in an unreliable provisional answers nothing (RFC 3262).
--
-- What they do not judge: the 491 back-off of P-UPD-2 (RFC 3261 14.1:
-- 0 to 2 s for the side that did not make the Call-ID; a retry at once
-- is allowed, so no wire can show a wrong one), nor a refused offer the
-- UAS could have taken (nothing on the wire says it could).

local W = require "siptap.checkers.wire"
local sdp = require "siptap.sdp"

local is_sdp, rseq, from_caller = W.is_sdp, W.rseq, W.from_caller
local has_option = W.has_option

local rules, rule = W.family()

-- The o= version of an SDP, or nil.
local function version(body)
  local v = body and body:match("\no=%S+ %S+ (%d+) ")
  return v and tonumber(v)
end

-- The call's messages in wire order, without retransmissions: its
-- INVITE, then its lists (responses, PRACKs, their answers, the rest
-- of the dialog) merged by seq. Each list is in wire order and no
-- message is in two of them (W.calls, W.uas_view put each message of
-- the call in one): a merge, without a set of the messages seen or a
-- sort by a Lua comparison.
local NOLIST = {}

local function make_timeline(c)
  local a, b, d, e = c.responses, c.pracks, c.prack_answers,
                     c.dialog or NOLIST
  local ia, ib, id, ie = 1, 1, 1, 1
  local all, n = {}, 0
  local inv = c.invite
  if not inv.retransmission then
    n = 1
    all[1] = inv
  end
  while true do
    -- the head of the lists with the lowest seq
    local best, bs, which = nil, math.huge, 0
    local m = a[ia]
    if m and m.seq < bs then best, bs, which = m, m.seq, 1 end
    m = b[ib]
    if m and m.seq < bs then best, bs, which = m, m.seq, 2 end
    m = d[id]
    if m and m.seq < bs then best, bs, which = m, m.seq, 3 end
    m = e[ie]
    if m and m.seq < bs then best, which = m, 4 end
    if not best then break end
    if which == 1 then ia = ia + 1
    elseif which == 2 then ib = ib + 1
    elseif which == 3 then id = id + 1
    else ie = ie + 1 end
    if not best.retransmission and best ~= inv then
      n = n + 1
      all[n] = best
    end
  end
  -- in seq order already (the INVITE came first): sort_seq sees it in
  -- one pass and sorts nothing
  return W.sort_seq(all)
end

-- (made once a call, W.once: read it, never change it)
local function timeline(c)
  return W.once(c, "timeline", make_timeline)
end

-- The final response to request q, in the timeline after it.
local function answer_of(list, q)
  for i_ = 1, #list do
    local m = list[i_]
    if not m.request and m.seq > q.seq and m.cseq == q.cseq and
       m.cseq_method == q.method and m.status >= 200 then
      return m
    end
  end
end

-- An SDP for the offer/answer: with application/sdp, or a body without
-- any Content-Type (which P-BODY-1 judges; the UAC takes it for SDP, so
-- a PRACK answering it is no offer of its own)
local function sdpish(m)
  return is_sdp(m) or (m.body or "") ~= "" and not m:header("Content-Type")
end

local function reliable(r)
  return r.status > 100 and r.status < 200 and rseq(r) ~= nil
end

-- Walks the call: fn(event, m, ctx) for each request of the dialog with
-- the offer/answer state before it (ctx.open, ctx.final: the INVITE's
-- final response seen so far, ctx.reliable: a reliable provisional
-- seen, ctx.callee_sdp: the UAS's SDP before).
local function replay(c, fn)
  local list = timeline(c)
  local st = { open = nil, started = false }
  local pending = {}   -- request -> { before =, offer = }
  for i_ = 1, #list do
    local m = list[i_]
    local caller = from_caller(m)
    if m == c.invite then
      if is_sdp(m) then st.open, st.started = "caller", true end
    elseif not m.request and m.cseq_method == "INVITE" and
           m.cseq == c.invite.cseq then
      if m.status >= 200 then st.final = st.final or m end
      if reliable(m) then st.reliable = true end
      if sdpish(m) then
        if reliable(m) or (m.status >= 200 and m.status < 300) then
          if st.open == "caller" then st.open = nil
          elseif not st.started then st.open = "callee" end
          st.started = true
        end
        st.callee_sdp = m.body
      end
    elseif m.request and m.method ~= "CANCEL" then
      if m.method == "ACK" then
        if is_sdp(m) and st.open == "callee" then st.open = nil end
      else
        local offer = is_sdp(m) and
          not (m.method == "PRACK" and caller and st.open == "callee")
        if m.method == "PRACK" and is_sdp(m) and not offer then
          st.open = nil    -- the answer to the UAS's offer
        end
        fn(m.method, m, st, offer, list)
        if offer and not st.open then
          pending[m] = { before = st.open }
          st.open = caller and "caller" or "callee"
        elseif not offer and m.method == "INVITE" then
          -- an offerless re-INVITE: the 2xx offers, the ACK answers
          pending[m] = { before = st.open, reverse = true }
        end
        if is_sdp(m) and not caller then st.callee_sdp = m.body end
      end
    else
      for q, p in pairs(pending) do
        if m.cseq == q.cseq and m.cseq_method == q.method and
           m.status >= 200 then
          pending[q] = nil
          if p.reverse then
            if m.status < 300 and is_sdp(m) then st.open = "callee" end
          elseif m.status < 300 and is_sdp(m) then
            st.open = nil
          else
            st.open = p.before
          end
          if is_sdp(m) and from_caller(q) then st.callee_sdp = m.body end
        end
      end
    end
  end
end

-- The walk is made once a call (W.once) and its events kept: each
-- request with the state as it was then (a copy: the walk goes on
-- changing st) and whether it offered. The four rules read them.
local function make_events(c)
  local events = {}
  replay(c, function(met, m, st, offer, list)
    events[#events + 1] = { met, m, { open = st.open, final = st.final,
      reliable = st.reliable, callee_sdp = st.callee_sdp,
      started = st.started }, offer, list }
  end)
  return events
end

local function walk(c, fn)
  local list_ = W.once(c, "walk", make_events)
  for i_ = 1, #list_ do
    local e = list_[i_]
    fn(e[1], e[2], e[3], e[4], e[5])
  end
end

-- Does the walk hold anything for the four rules: a PRACK with SDP (an
-- offer, R-PRACK-4), a BYE not after the INVITE's final response
-- (P-BYE-1), an UPDATE (P-UPD-1, P-UPD-2)? Most calls have none of
-- them, and are not walked. Any request of the call that might is
-- counted, a copy too: then the walk decides.
local function make_busy(c)
  local list_ = c.pracks
  for i_ = 1, #list_ do
    local p = list_[i_]
    if is_sdp(p) then return true end
  end
  local f = W.final(c)
  local list_ = c.dialog or NOLIST
  for i_ = 1, #list_ do
    local m = list_[i_]
    if m.request then
      local met = m.method
      if met == "UPDATE" or met == "PRACK" and is_sdp(m) or
         met == "BYE" and (not f or f.seq > m.seq) then
        return true
      end
    end
  end
  return false
end

-- (made once a call, W.once)
local function busy(c)
  return W.once(c, "busy", make_busy)
end

local function early(st, m)
  return not st.final or st.final.seq > m.seq
end

rule("R-PRACK-4", "a PRACK with an offer gets the answer in its 2xx (or 488)",
function(c, _, out)
  local v, n = out or {}, 0
  if not busy(c) then return v, 0 end
  walk(c, function(met, m, st, offer, list)
    if met ~= "PRACK" or not offer or not from_caller(m) then return end
    local a = answer_of(list, m)
    if not a then return end
    n = n + 1
    if a.status < 300 and not sdpish(a) then
      v[#v + 1] = { msg = a, why = ("the PRACK carried an offer; its %d "
        .. "has no SDP answer (RFC 3262 5: the answer goes in the 2xx "
        .. "to the PRACK)"):format(a.status) }
    end
    -- another non-2xx: R-PRACK-1's (a matching PRACK gets a 2xx, or
    -- 488/606 for its offer) or R-PRACK-2's; one deviation, one rule
  end)
  return v, n
end)

rule("P-BYE-1", "a BYE in the early dialog gets 200, then the INVITE a final response",
function(c, _, out)
  local v, n = out or {}, 0
  if not busy(c) then return v, 0 end
  walk(c, function(met, m, st, _, list)
    if met ~= "BYE" or not from_caller(m) or not early(st, m) then return end
    local a = answer_of(list, m)
    if not a then return end
    n = n + 1
    if a.status >= 300 then
      v[#v + 1] = { msg = a, why = ("a BYE in the early dialog got %d, "
        .. "not 200 (RFC 3261 15.1.2)"):format(a.status) }
      return
    end
    local list_ = c.responses
    for i_ = 1, #list_ do
      local r = list_[i_]
      if r.status >= 200 and r.seq > m.seq then return end
    end
    v[#v + 1] = { msg = a, why = "the BYE in the early dialog got " ..
      a.status .. ", but the INVITE never got its final response (487 "
      .. "recommended, RFC 3261 15.1.2)" }
  end)
  return v, n
end)

local function retry_after(m)
  local ra = m:header("Retry-After")
  return ra and ra:match("^%s*%d+")
end

rule("P-UPD-1", "an UPDATE in the early dialog is answered: its answer in the 2xx; 491 on glare; 500 with Retry-After while an offer is unanswered",
function(c, _, out)
  local v, n = out or {}, 0
  if not busy(c) then return v, 0 end
  walk(c, function(met, m, st, offer, list)
    -- the rule is about the early dialog (the reference UAS answers
    -- in the confirmed one too, which its scenarios check themselves)
    if met ~= "UPDATE" or not from_caller(m) or not early(st, m) then
      return
    end
    local a = answer_of(list, m)
    if not a or a.status == 481 and st.final and st.final.status >= 300 then
      return
    end
    n = n + 1
    local why
    if a.status == 501 or a.status == 405 then
      why = ("an UPDATE in the early dialog got %d%s: it is answered "
             .. "(RFC 3311 5.2)"):format(a.status,
             has_option(a, "Allow", "update") and "" or
             " (the UAS does not implement UPDATE: no Allow: UPDATE)")
    elseif not offer then
      if a.status >= 300 then
        why = ("an UPDATE without an offer got %d, not 2xx"):format(
          a.status)
      end
    elseif st.open == "callee" then
      if a.status ~= 491 then
        why = ("the UPDATE's offer crossed the UAS's own, still "
               .. "unanswered; it got %d, not 491 (RFC 3311 5.2)"):format(
               a.status)
      end
    elseif st.open == "caller" then
      if a.status ~= 500 or not retry_after(a) then
        why = ("the UPDATE came while an earlier offer was unanswered; "
               .. "it got %d%s, not 500 with Retry-After (RFC 3311 5.2)")
               :format(a.status, a.status == 500 and " without Retry-After"
                       or "")
      end
    elseif a.status < 300 and not is_sdp(a) then
      why = ("the UPDATE's offer got %d without an SDP answer (RFC 3311 "
             .. "5.2)"):format(a.status)
    elseif a.status >= 300 and a.status ~= 488 then
      why = ("the UPDATE's offer, with no other offer open, got %d: it is "
             .. "answered in a 2xx or refused with 488"):format(a.status)
    end
    if why then v[#v + 1] = { msg = a, why = why } end
  end)
  return v, n
end)

rule("P-UPD-2", "the UAS's UPDATE in the early dialog: after a reliable provisional or Allow: UPDATE, with a new offer",
function(c, _, out)
  local v, n = out or {}, 0
  if not busy(c) then return v, 0 end
  local allow = has_option(c.invite, "Allow", "update")
  walk(c, function(met, m, st, offer)
    if met ~= "UPDATE" or from_caller(m) then return end
    n = n + 1
    if early(st, m) and not st.reliable and not allow then
      v[#v + 1] = { msg = m, why = "the UAS sent UPDATE in the early "
        .. "dialog before any reliable provisional, and the INVITE has "
        .. "no Allow: UPDATE (RFC 3311 5.1)" }
    end
    if not offer then return end
    if st.open then
      v[#v + 1] = { msg = m, why = "the UAS's UPDATE offers while the "
        .. (st.open == "caller" and "caller's" or "UAS's own")
        .. " offer is still unanswered (RFC 3311 5.1)" }
    end
    local was, now = version(st.callee_sdp), version(m.body)
    local changed = st.callee_sdp and
      sdp.content(st.callee_sdp) ~= sdp.content(m.body)
    if was and now and (now < was or changed and now == was) then
      v[#v + 1] = { msg = m, why = ("the UAS's UPDATE offers a changed "
        .. "session with o= version %d, its SDP before had %d: a new "
        .. "offer counts the change (RFC 3264 8)"):format(now, was) }
    end
  end)
  return v, n
end)

return rules
