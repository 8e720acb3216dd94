-- siptap.checkers: one checker per rule id of conformance.md (sections
-- A, B, C) and of what a proxy must do, over the wire as siptap's UAC saw
-- it: the INVITE it sent, every response it received (retransmissions
-- included), its PRACKs and their answers. A checker returns the
-- violations it found and how many things it looked at.
--
-- Scenarios use them through siptap.rules, which loads this module for
-- the time of one check: a test that waits holds none of it.

local sdp = require "siptap.sdp"

local M = {}

---------------------------------------------------------------------------
-- Reading the wire
---------------------------------------------------------------------------

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Header values as a flat list: comma lists split, each trimmed. Only
-- for headers whose values never hold a comma of their own (Via,
-- Record-Route with <> URIs, Require, Supported).
local function values(m, name)
  local out = {}
  for _, v in ipairs(m:headers(name)) do
    for part in (v .. ","):gmatch("([^,]*),") do
      part = trim(part)
      if part ~= "" then out[#out + 1] = part end
    end
  end
  return out
end

local function has_option(m, name, option)
  for _, v in ipairs(values(m, name)) do
    if v:lower() == option then return true end
  end
  return false
end

local function same_list(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

local function show_list(l)
  return "[" .. table.concat(l, " | ") .. "]"
end

-- The To header without its tag parameter.
local function to_without_tag(v)
  return trim((v or ""):gsub(";%s*[tT][aA][gG]%s*=%s*[^;%s]*", ""))
end

local function rseq(m)
  local v = m:header("RSeq")
  return v and tonumber(trim(v))
end

local function is_sdp(m)
  local ct = m:header("Content-Type")
  return ct and ct:lower():match("^%s*application/sdp") and m.body ~= ""
end

local function rack(m)
  local v = m:header("RAck")
  if not v then return nil end
  local r, c, met = v:match("^%s*(%d+)%s+(%d+)%s+(%S+)")
  return tonumber(r), tonumber(c), met
end

-- The From tag of a message, or nil.
local function from_tag(m)
  local v = m:header("From")
  return v and v:match(";%s*[tT][aA][gG]%s*=%s*([^;%s>]+)")
end

-- The INVITE the UAS got for the UAC's call c: the one with its Call-ID;
-- else (a proxy that hides the topology masks the Call-ID, Via, Contact
-- and Record-Route) the one with its From tag and CSeq, which a proxy
-- keeps (RFC 3261 16.6 changes neither). c.uas_id is its Call-ID.
local function match_leg(c, uas_invites, claimed)
  local m = uas_invites[c.id]
  if not m then
    local tag = from_tag(c.invite)
    for _, u in ipairs(uas_invites) do
      if not claimed[u] and tag and from_tag(u) == tag and
         u.cseq == c.invite.cseq then
        m = u
        break
      end
    end
  end
  if m then
    claimed[m] = true
    c.uas_invite, c.uas_id = m, m.call_id
  end
end

-- The calls of the wire, as the UAC saw them, in order of their INVITE.
-- A call whose INVITE reached siptap's UAS (through a proxy) has
-- uas_invite and uas_id; c.unmatched is true when it has none while the
-- UAS got an INVITE in this test that no call could be matched with.
function M.calls(wire)
  local by, order = {}, {}
  local uas_invites = {}
  local function call(id)
    local c = by[id]
    if not c then
      c = { id = id, responses = {}, pracks = {}, prack_answers = {},
            invite_copies = {}, wire = wire }
      by[id] = c
      order[#order + 1] = c
    end
    return c
  end
  for _, m in ipairs(wire) do
    if m.role == "uas" and m.call_id and not m.sent and
       m.method == "INVITE" and not uas_invites[m.call_id] then
      -- the INVITE as the UAS got it (through a proxy: with its
      -- Record-Route)
      uas_invites[m.call_id] = m
      uas_invites[#uas_invites + 1] = m
    end
    if m.role == "uac" and m.call_id then
      local c = call(m.call_id)
      if m.sent and m.method == "INVITE" then
        if not c.invite then c.invite = m end
        c.invite_copies[#c.invite_copies + 1] = m
      elseif m.sent and m.method == "PRACK" then
        c.pracks[#c.pracks + 1] = m
      elseif not m.sent and not m.request then
        if m.cseq_method == "INVITE" then
          c.responses[#c.responses + 1] = m
        elseif m.cseq_method == "PRACK" then
          c.prack_answers[#c.prack_answers + 1] = m
        end
      end
    end
  end
  local out, claimed = {}, {}
  for _, c in ipairs(order) do
    if c.invite then
      out[#out + 1] = c
      match_leg(c, uas_invites, claimed)
    end
  end
  local stray = false
  for _, u in ipairs(uas_invites) do stray = stray or not claimed[u] end
  for _, c in ipairs(out) do c.unmatched = stray and not c.uas_invite end
  return out
end

-- Is m one of call c's messages, on the UAC's side or on the UAS's?
local function of_call(c, m)
  if m.role == "uas" then return c.uas_id ~= nil and m.call_id == c.uas_id end
  return m.call_id == c.id
end

-- Responses without retransmissions.
local function unique(c)
  local out = {}
  for _, r in ipairs(c.responses) do
    if not r.retransmission then out[#out + 1] = r end
  end
  return out
end

-- A provisional with the status code the case asked for (with none
-- asked for, any provisional): what a case's own rules look at.
local function asked(r, ctx)
  return r.status < 200 and r.status == (ctx.status or r.status)
end

local function final(c)
  for _, r in ipairs(c.responses) do
    if r.status >= 200 then return r end
  end
end

-- Reliable provisionals by RSeq, in order of first arrival:
-- { rseq =, first = msg, copies = {msgs} }
local function reliables(c)
  local list, by = {}, {}
  for _, r in ipairs(c.responses) do
    local n = r.status < 200 and r.status > 100 and rseq(r)
    if n then
      local e = by[n]
      if not e then
        e = { rseq = n, first = r, copies = {} }
        by[n] = e
        list[#list + 1] = e
      end
      e.copies[#e.copies + 1] = r
    end
  end
  return list, by
end

-- The answer to a PRACK: the final response with its CSeq.
local function prack_answer(c, p)
  for _, a in ipairs(c.prack_answers) do
    if a.cseq == p.cseq and a.status >= 200 then return a end
  end
end

-- When each RSeq was acknowledged: the time its PRACK's 2xx arrived.
local function acked_times(c)
  local t = {}
  for _, p in ipairs(c.pracks) do
    local a = prack_answer(c, p)
    local r = rack(p)
    if a and a.status < 300 and r and not t[r] then t[r] = a.time end
  end
  return t
end

local function prack_sent_time(c, n)
  for _, p in ipairs(c.pracks) do
    if rack(p) == n then return p.time end
  end
end

-- The UAS's own sends of reliable provisional RSeq n (siptap's UAS, when
-- it is on the wire), and when it stopped: it got the PRACK for n or
-- sent the final response.
local function uas_copies(c, n)
  local out, stop = {}, nil
  for _, m in ipairs(c.wire) do
    if m.role == "uas" and of_call(c, m) then
      if m.sent and not m.request and m.cseq_method == "INVITE" then
        if m.status > 100 and m.status < 200 and rseq(m) == n then
          out[#out + 1] = m
        elseif m.status >= 200 and #out > 0 then
          stop = stop or m.time
        end
      elseif not m.sent and m.method == "PRACK" and rack(m) == n then
        stop = stop or m.time
      end
    end
  end
  return out, stop
end

local function wire_end(c)
  local last = c.wire[#c.wire]
  return last and last.time or 0
end

---------------------------------------------------------------------------
-- The rules. Each: function(c, ctx) -> violations, checked
-- violations: { { msg = m, why = "..." }, ... }
---------------------------------------------------------------------------

local R = {}
M.titles = {}

local function rule(id, title, fn)
  R[id] = fn
  M.titles[id] = title
end

-- A Via value with the parameters a server transport may add on the
-- way (received, rport's value: RFC 3261 18.2.1, RFC 3581) taken out,
-- and the rest in a fixed order.
local function via_core(v)
  local head, params = v:match("^([^;]*)(.*)$")
  local kept = {}
  for p in params:gmatch(";([^;]*)") do
    local name = trim(p:match("^[^=]*")):lower()
    if name ~= "received" and name ~= "rport" then
      kept[#kept + 1] = trim(p)
    end
  end
  table.sort(kept)
  return trim(head) .. ";" .. table.concat(kept, ";")
end

local function vias(m)
  local out = {}
  for i, v in ipairs(values(m, "Via")) do
    out[i] = i == 1 and via_core(v) or v
  end
  return out
end

rule("P-COPY-1", "Via, From, Call-ID and CSeq copied from the INVITE",
function(c)
  local v, n, inv = {}, 0, c.invite
  for _, r in ipairs(c.responses) do
    n = n + 1
    for _, h in ipairs{ "Via", "From", "Call-ID", "CSeq" } do
      local want, got = vias(inv), vias(r)
      if h ~= "Via" then
        want, got = inv:headers(h), r:headers(h)
      end
      if not same_list(want, got) then
        v[#v + 1] = { msg = r, why = h .. " is " .. show_list(got) ..
                      ", the INVITE had " .. show_list(want) }
        break
      end
    end
  end
  return v, n
end)

rule("P-TAG-1", "To URI of the INVITE, and a To tag on every non-100",
function(c)
  local v, n = {}, 0
  local want = to_without_tag(c.invite:header("To"))
  for _, r in ipairs(c.responses) do
    n = n + 1
    local got = to_without_tag(r:header("To"))
    if got ~= want then
      v[#v + 1] = { msg = r, why = "To is '" .. got .. "', the INVITE's "
                    .. "is '" .. want .. "'" }
    elseif r.status ~= 100 and not r.to_tag then
      v[#v + 1] = { msg = r, why = r.status .. " without a To tag" }
    end
  end
  return v, n
end)

rule("P-TAG-2", "one To tag for all non-100 responses", function(c)
  local v, n, tag = {}, 0, nil
  for _, r in ipairs(c.responses) do
    if r.status ~= 100 and r.to_tag then
      n = n + 1
      tag = tag or r.to_tag
      if r.to_tag ~= tag then
        v[#v + 1] = { msg = r, why = "To tag " .. r.to_tag .. ", earlier "
                      .. "responses had " .. tag }
      end
    end
  end
  return v, n
end)

rule("P-100-1", "100 Trying: never reliable, Timestamp copied", function(c)
  local v, n = {}, 0
  local ts = c.invite:header("Timestamp")
  for _, r in ipairs(c.responses) do
    if r.status == 100 then
      n = n + 1
      if r:has_header("RSeq") or has_option(r, "Require", "100rel") then
        v[#v + 1] = { msg = r, why = "100 Trying sent reliably" }
      elseif ts and r:header("Timestamp") ~= ts then
        v[#v + 1] = { msg = r, why = "Timestamp is " ..
                      tostring(r:header("Timestamp")) .. ", the INVITE's "
                      .. "is " .. ts }
      end
    end
  end
  return v, n
end)

rule("P-DLG-1", "early dialog: Contact with a SIP URI, Record-Route copied",
function(c)
  local v, n = {}, 0
  -- the Record-Route the UAS got; unknown when a proxy made its INVITE
  -- unrecognisable (c.unmatched): then only the Contact is checked
  local rr = not c.unmatched and values(c.uas_invite or c.invite,
                                        "Record-Route")
  for _, r in ipairs(c.responses) do
    if r.status > 100 and r.status < 200 and r.to_tag then
      n = n + 1
      local contact = r:header("Contact")
      if not contact or not contact:match("^%s*[^<]*<?%s*sips?:") then
        v[#v + 1] = { msg = r, why = "no Contact with a SIP URI" }
      elseif rr and not same_list(values(r, "Record-Route"), rr) then
        v[#v + 1] = { msg = r, why = "Record-Route is " ..
                      show_list(values(r, "Record-Route")) ..
                      ", the INVITE had " .. show_list(rr) }
      end
    end
  end
  return v, n
end)

rule("P-REASON-1", "the reason phrase asked for, or the default", function(c, ctx)
  local v, n = {}, 0
  if not ctx.reason then return v, 0 end
  for _, r in ipairs(unique(c)) do
    if asked(r, ctx) then
      n = n + 1
      if r.reason ~= ctx.reason then
        v[#v + 1] = { msg = r, why = "reason phrase '" .. r.reason ..
                      "', wanted '" .. ctx.reason .. "'" }
      end
    end
  end
  return v, n
end)

-- ctx.headers: the extraHeaders given, each must appear exactly as often
-- as it was given, after Via/From/To/Call-ID/CSeq.
rule("P-HDR-1", "extra headers once each, byte for byte, after the mandatory ones",
function(c, ctx)
  local v, n = {}, 0
  if not ctx.headers then return v, 0 end
  local mandatory = { via = 1, v = 1, from = 1, f = 1, to = 1, t = 1,
                      ["call-id"] = 1, i = 1, cseq = 1 }
  for _, r in ipairs(unique(c)) do
    if asked(r, ctx) then
      n = n + 1
      local lines, last_mandatory = {}, 0
      local head = r.raw:match("^(.-)\r\n\r\n") or r.raw
      for line in (head .. "\r\n"):gmatch("([^\r\n]*)\r\n") do
        lines[#lines + 1] = line
        local name = line:match("^([^:]+):")
        if name and mandatory[trim(name):lower()] then
          last_mandatory = #lines
        end
      end
      -- each distinct header once, in the order given: the same
      -- violations in the same order on every run
      local want, order = {}, {}
      for _, h in ipairs(ctx.headers) do
        if not want[h] then order[#order + 1] = h end
        want[h] = (want[h] or 0) + 1
      end
      for _, h in ipairs(order) do
        local count = want[h]
        local got, first = 0, nil
        for i, line in ipairs(lines) do
          if line == h then
            got = got + 1
            first = first or i
          end
        end
        if got ~= count then
          v[#v + 1] = { msg = r, why = "'" .. h .. "' appears " .. got ..
                        " time(s), given " .. count }
        elseif first < last_mandatory then
          v[#v + 1] = { msg = r, why = "'" .. h .. "' comes before the "
                        .. "mandatory headers end" }
        end
      end
    end
  end
  return v, n
end)

rule("P-BODY-1", "Content-Length is the body's length; Content-Type with a body only",
function(c, ctx)
  local v, n = {}, 0
  for _, r in ipairs(c.responses) do
    n = n + 1
    local cl = r:header("Content-Length")
    local ct = r:header("Content-Type")
    if not cl or tonumber(trim(cl)) ~= #r.body then
      v[#v + 1] = { msg = r, why = "Content-Length " .. tostring(cl) ..
                    ", the body has " .. #r.body .. " bytes" }
    elseif #r.body > 0 and not ct then
      v[#v + 1] = { msg = r, why = "a body without Content-Type" }
    elseif #r.body == 0 and ct then
      v[#v + 1] = { msg = r, why = "Content-Type without a body" }
    elseif ctx.content_type and asked(r, ctx) and
           (ct or "(none)") ~= ctx.content_type then
      v[#v + 1] = { msg = r, why = "Content-Type " .. tostring(ct) ..
                    ", wanted " .. ctx.content_type }
    end
  end
  return v, n
end)

-- A retransmitted INVITE is answered with the latest provisional again.
rule("P-RETX-1", "a retransmitted INVITE gets the latest provisional again",
function(c, ctx)
  local v, n = {}, 0
  for i = 2, #c.invite_copies do
    local sent = c.invite_copies[i]
    local latest
    for _, r in ipairs(c.responses) do
      if r.time < sent.time and r.status < 200 then latest = r end
    end
    local answered_final = false
    for _, r in ipairs(c.responses) do
      if r.status >= 200 and r.time < sent.time then answered_final = true end
    end
    if latest and not answered_final then
      n = n + 1
      local again = false
      for _, r in ipairs(c.responses) do
        if r.time >= sent.time and r.raw == latest.raw then again = true end
      end
      if not again then
        v[#v + 1] = { msg = latest, why = "the INVITE was retransmitted "
                      .. "at " .. ("%.0f"):format(sent.time) .. " ms; "
                      .. "this provisional was not sent again" }
      end
    end
  end
  return v, n
end)

-- ctx.minute: the refresh interval (60 s, scaled by --t1: 120 * T1).
rule("P-LONG-1", "an INVITE held longer than a minute gets a provisional every minute",
function(c, ctx)
  local v, n = {}, 0
  local minute = ctx.minute or 120 * ctx.t1
  local times = {}
  for _, r in ipairs(c.responses) do
    if r.status > 100 and r.status < 200 then times[#times + 1] = r.time end
  end
  if #times == 0 then return v, 0 end
  local f = final(c)
  local stop = f and f.time or wire_end(c)
  if stop - times[1] < minute then return v, 0 end
  n = 1
  times[#times + 1] = stop
  for i = 2, #times do
    if times[i] - times[i - 1] > minute * 1.25 + 50 then
      v[#v + 1] = { msg = c.responses[1], why = ("no provisional for %.0f"
                    .. " ms (more than a minute, %d ms here)"):format(
                    times[i] - times[i - 1], minute) }
      break
    end
  end
  return v, n
end)

rule("R-WHEN-1", "Require: 100rel: every non-100 provisional is reliable",
function(c)
  local v, n = {}, 0
  if not has_option(c.invite, "Require", "100rel") then return v, 0 end
  local f = final(c)
  if f and f.status == 420 then
    n = 1
    if not has_option(f, "Unsupported", "100rel") then
      v[#v + 1] = { msg = f, why = "420 without Unsupported: 100rel" }
    end
    return v, n
  end
  for _, r in ipairs(unique(c)) do
    if r.status > 100 and r.status < 200 then
      n = n + 1
      if not rseq(r) then
        v[#v + 1] = { msg = r, why = r.status .. " sent unreliably to an "
                      .. "INVITE that requires 100rel" }
      end
    end
  end
  return v, n
end)

rule("R-WHEN-2", "no 100rel in the INVITE: nothing sent reliably", function(c)
  local v, n = {}, 0
  if has_option(c.invite, "Require", "100rel") or
     has_option(c.invite, "Supported", "100rel") then
    return v, 0
  end
  for _, r in ipairs(unique(c)) do
    if r.status < 200 then
      n = n + 1
      if rseq(r) or has_option(r, "Require", "100rel") then
        v[#v + 1] = { msg = r, why = r.status .. " sent reliably to an "
                      .. "INVITE without 100rel" }
      end
    end
  end
  return v, n
end)

-- ctx.reliable: whether the UAS chose 100rel (rel100 option or policy).
rule("R-WHEN-3", "Supported: 100rel only: reliable exactly when the UAS chooses",
function(c, ctx)
  local v, n = {}, 0
  if ctx.reliable == nil or has_option(c.invite, "Require", "100rel") or
     not has_option(c.invite, "Supported", "100rel") then
    return v, 0
  end
  for _, r in ipairs(unique(c)) do
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
function(c)
  local v, n = {}, 0
  for _, r in ipairs(unique(c)) do
    if r.status > 100 and r.status < 200 then
      local has_rseq = r:has_header("RSeq")
      local req = has_option(r, "Require", "100rel")
      if has_rseq or req then
        n = n + 1
        if not has_rseq then
          v[#v + 1] = { msg = r, why = "Require: 100rel without RSeq" }
        elseif not req then
          v[#v + 1] = { msg = r, why = "RSeq without Require: 100rel" }
        elseif not rseq(r) then
          v[#v + 1] = { msg = r, why = "RSeq is not a number" }
        end
      end
    end
  end
  return v, n
end)

rule("R-RSEQ-1", "RSeq starts in 1..2^31-1 and counts up by one", function(c)
  local v, n = {}, 0
  local list = reliables(c)
  for i, e in ipairs(list) do
    n = n + 1
    if i == 1 and (e.rseq < 1 or e.rseq > 2^31 - 1) then
      v[#v + 1] = { msg = e.first, why = "first RSeq " .. e.rseq ..
                    " is outside 1..2^31-1" }
    elseif i > 1 and e.rseq ~= list[i - 1].rseq + 1 then
      v[#v + 1] = { msg = e.first, why = "RSeq " .. e.rseq .. " after " ..
                    list[i - 1].rseq }
    end
  end
  return v, n
end)

rule("R-ONE-1", "no second reliable provisional before the first is PRACKed",
function(c)
  local v, n = {}, 0
  local list = reliables(c)
  for i = 2, #list do
    n = n + 1
    local prev, e = list[i - 1], list[i]
    local sent = prack_sent_time(c, prev.rseq)
    if not sent or sent > e.first.time then
      v[#v + 1] = { msg = e.first, why = "RSeq " .. e.rseq .. " arrived "
                    .. "before RSeq " .. prev.rseq .. " was PRACKed" }
    end
  end
  return v, n
end)

local function slack(ctx)
  return math.max(30, ctx.t1 // 4)
end

-- T1, 2*T1, 4*T1 ... while nothing stops them; identical bytes.
rule("R-RETX-1", "retransmitted at T1, 2*T1, 4*T1 ... with identical bytes",
function(c, ctx)
  local v, n = {}, 0
  local f = final(c)
  for _, e in ipairs(reliables(c)) do
    n = n + 1
    local stop = math.min(prack_sent_time(c, e.rseq) or math.huge,
                          f and f.time or math.huge, wire_end(c))
    local bad
    for i, m in ipairs(e.copies) do
      if m.raw ~= e.first.raw then
        bad = { msg = m, why = "copy " .. i .. " of RSeq " .. e.rseq ..
                " differs from the first" }
        break
      end
    end
    -- The timing is measured where it is most exact: on the UAS's own
    -- sends when siptap's UAS is on the wire (what the UAC reads can be
    -- late when the loop is busy), else on what the UAC got.
    local timed, uas_stop = uas_copies(c, e.rseq)
    if #timed > 0 then
      stop = uas_stop or wire_end(c)
    else
      timed = e.copies
    end
    local expect = ctx.t1
    for i = 2, #timed do
      if bad or timed[i].time > stop then break end
      local gap = timed[i].time - timed[i - 1].time
      if gap < expect * 0.75 - 10 or gap > expect * 1.6 + 30 then
        bad = { msg = timed[i], why = ("copy %d of RSeq %d came %.0f ms "
                .. "after the previous one, wanted %d ms"):format(i, e.rseq,
                gap, expect) }
      end
      expect = expect * 2
    end
    -- and one whenever one was due: copies at T1, 3*T1, 7*T1 ...
    if not bad then
      local due = 0
      while ctx.t1 * (2 ^ (due + 1) - 1) + ctx.t1 * 0.6 + 30 <
            stop - e.first.time do
        due = due + 1
      end
      if #timed - 1 < due then
        bad = { msg = e.first, why = ("RSeq %d was sent %d time(s) in %.0f"
                .. " ms without PRACK, wanted %d retransmission(s) at T1 "
                .. "%d ms"):format(e.rseq, #timed, stop - e.first.time,
                due, ctx.t1) }
      end
    end
    v[#v + 1] = bad
  end
  return v, n
end)

rule("R-RETX-2", "a matching PRACK stops the retransmissions", function(c, ctx)
  local v, n = {}, 0
  local acked = acked_times(c)
  for _, e in ipairs(reliables(c)) do
    local at = acked[e.rseq]
    if at then
      n = n + 1
      for _, m in ipairs(e.copies) do
        if m.time > at + slack(ctx) then
          v[#v + 1] = { msg = m, why = ("RSeq %d sent again %.0f ms after "
                        .. "its PRACK was answered"):format(e.rseq,
                        m.time - at) }
          break
        end
      end
    end
  end
  return v, n
end)

rule("R-TIMEOUT-1", "no PRACK within 64*T1: a 5xx", function(c, ctx)
  local v, n = {}, 0
  local limit = 64 * ctx.t1
  local f = final(c)
  for _, e in ipairs(reliables(c)) do
    if not prack_sent_time(c, e.rseq) then
      local t0 = e.first.time
      if f and f.time < t0 + limit * 0.9 then
        -- something else ended the transaction first
      elseif f and f.time <= t0 + limit * 1.3 + 100 then
        n = n + 1
        if f.status < 500 or f.status > 599 then
          v[#v + 1] = { msg = f, why = "after 64*T1 without PRACK the "
                        .. "final response is " .. f.status .. ", not 5xx" }
        end
      elseif wire_end(c) > t0 + limit * 1.3 + 100 then
        n = n + 1
        v[#v + 1] = { msg = e.first, why = ("no final response %.0f ms "
                      .. "after RSeq %d went unPRACKed (64*T1 = %d ms)")
                      :format(wire_end(c) - t0, e.rseq, limit) }
      end
    end
  end
  return v, n
end)

-- Replays the PRACKs: which matched an unacknowledged reliable
-- provisional when sent, and what answered each.
local function prack_replay(c)
  local out = {}
  local acked = {}
  local seen = reliables(c)
  for _, p in ipairs(c.pracks) do
    local rs, cs, met = rack(p)
    local known = false
    for _, e in ipairs(seen) do
      if e.rseq == rs and e.first.time < p.time then known = true end
    end
    local matched = known and not acked[rs] and cs == c.invite.cseq and
                    met == "INVITE"
    local a = prack_answer(c, p)
    if matched and a and a.status < 300 then acked[rs] = true end
    out[#out + 1] = { prack = p, matched = matched, answer = a }
  end
  return out
end

rule("R-PRACK-1", "a matching PRACK gets a 2xx", function(c)
  local v, n = {}, 0
  for _, x in ipairs(prack_replay(c)) do
    if x.matched then
      n = n + 1
      if not x.answer then
        v[#v + 1] = { msg = x.prack, why = "no answer to a matching PRACK" }
      elseif x.answer.status < 200 or x.answer.status > 299 then
        v[#v + 1] = { msg = x.answer, why = "a matching PRACK answered " ..
                      x.answer.status }
      end
    end
  end
  return v, n
end)

rule("R-PRACK-2", "a PRACK that matches nothing gets 481", function(c)
  local v, n = {}, 0
  for _, x in ipairs(prack_replay(c)) do
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
function(c)
  local v, n = {}, 0
  local f = final(c)
  if not f or f.status >= 300 then return v, 0 end
  for _, e in ipairs(reliables(c)) do
    if is_sdp(e.first) and e.first.time < f.time then
      n = n + 1
      local sent = prack_sent_time(c, e.rseq)
      if not sent or sent > f.time then
        v[#v + 1] = { msg = f, why = "2xx before RSeq " .. e.rseq ..
                      " (with SDP) was PRACKed" }
      end
    end
  end
  return v, n
end)

rule("R-FINAL-2", "after the final response: no retransmissions, PRACKs still answered",
function(c, ctx)
  local v, n = {}, 0
  local f = final(c)
  if not f then return v, 0 end
  for _, e in ipairs(reliables(c)) do
    local sent = prack_sent_time(c, e.rseq)
    if e.first.time < f.time and (not sent or sent > f.time) then
      n = n + 1
      for _, m in ipairs(e.copies) do
        if m.time > f.time + slack(ctx) then
          v[#v + 1] = { msg = m, why = "RSeq " .. e.rseq .. " retransmitted"
                        .. " after the final response" }
          break
        end
      end
    end
  end
  for _, x in ipairs(prack_replay(c)) do
    if x.matched and x.prack.time > f.time then
      n = n + 1
      if not x.answer or x.answer.status > 299 then
        v[#v + 1] = { msg = x.answer or x.prack, why = "a PRACK after the "
                      .. "final response was not answered 2xx" }
      end
    end
  end
  return v, n
end)

rule("S-ANS-1", "the answer in a reliable provisional; the 2xx repeats it or has none",
function(c)
  local v, n = {}, 0
  if not is_sdp(c.invite) then return v, 0 end
  local answer
  for _, e in ipairs(reliables(c)) do
    if is_sdp(e.first) then answer = answer or e.first end
  end
  local f = final(c)
  if not answer or not f or f.status >= 300 then return v, 0 end
  n = 1
  if f.body ~= "" and f.body ~= answer.body then
    v[#v + 1] = { msg = f, why = "the 2xx carries an SDP other than the "
                  .. "answer of the reliable " .. answer.status }
  end
  return v, n
end)

rule("S-ANS-2", "early media answer in an unreliable 18x; the 2xx carries the same",
function(c)
  local v, n = {}, 0
  if not is_sdp(c.invite) or #reliables(c) > 0 then return v, 0 end
  local early
  for _, r in ipairs(unique(c)) do
    if r.status > 100 and r.status < 200 and is_sdp(r) then
      early = early or r
    end
  end
  local f = final(c)
  if not early or not f or f.status >= 300 then return v, 0 end
  n = 1
  if f.body ~= early.body then
    v[#v + 1] = { msg = f, why = "the 2xx SDP differs from the early "
                  .. "media answer in the " .. early.status }
  end
  return v, n
end)

rule("S-OFF-1", "no offer in the INVITE: the first reliable response carries one",
function(c)
  local v, n = {}, 0
  if is_sdp(c.invite) or c.invite.body ~= "" then return v, 0 end
  for _, r in ipairs(unique(c)) do
    local reliable = (r.status > 100 and r.status < 200 and rseq(r)) or
                     (r.status >= 200 and r.status < 300)
    if reliable then
      n = 1
      if not is_sdp(r) then
        v[#v + 1] = { msg = r, why = "the first reliable response (" ..
                      r.status .. ") carries no offer" }
      end
      break
    end
  end
  return v, n
end)

-- ctx.codecs (list of names, in order) and ctx.direction.
rule("S-MOD-1", "the SDP on the wire has the options and modifiers applied",
function(c, ctx)
  local v, n = {}, 0
  if not ctx.codecs and not ctx.direction and not ctx.absent_codecs then
    return v, 0
  end
  for _, r in ipairs(unique(c)) do
    if is_sdp(r) and asked(r, ctx) then
      n = n + 1
      local got = sdp.codecs(r.body)
      if ctx.codecs and table.concat(got, ",") ~= table.concat(ctx.codecs, ",")
      then
        v[#v + 1] = { msg = r, why = "codecs " .. table.concat(got, ",") ..
                      ", wanted " .. table.concat(ctx.codecs, ",") }
      elseif ctx.direction and sdp.direction(r.body) ~= ctx.direction then
        v[#v + 1] = { msg = r, why = "direction " .. sdp.direction(r.body)
                      .. ", wanted " .. ctx.direction }
      end
      for _, a in ipairs(ctx.absent_codecs or {}) do
        if sdp.has_codec(r.body, a) or r.body:find("rtpmap:%d+ " .. a .. "/")
        then
          v[#v + 1] = { msg = r, why = a .. " is still in the SDP" }
        end
      end
    end
  end
  if n == 0 then
    v[#v + 1] = { msg = c.invite, why = "no SDP in a provisional response" }
    n = 1
  end
  return v, n
end)

rule("S-FMT-1", "every SDP is well formed", function(c)
  local v, n = {}, 0
  for _, r in ipairs(unique(c)) do
    if is_sdp(r) then
      n = n + 1
      local ok, why = sdp.check(r.body)
      if not ok then v[#v + 1] = { msg = r, why = why } end
    end
  end
  return v, n
end)

-- P-RANGE-1 is about what did not happen: ctx.refused is true when the
-- scenario saw progress() refuse; then no response may be on the wire.
rule("P-RANGE-1", "progress() outside 100..199 sends nothing", function(c, ctx)
  local v, n = {}, 1
  -- what the UAS sent, where siptap's own UAS is on the wire (a proxy
  -- in between sends a 100 Trying of its own)
  local sent = {}
  for _, m in ipairs(c.wire) do
    if m.role == "uas" and m.sent and of_call(c, m) and not m.request
    then
      sent[#sent + 1] = m
    end
  end
  if not c.uas_invite then sent = c.responses end
  if #sent > 0 then
    v[#v + 1] = { msg = sent[1], why = "a response was sent for an "
                  .. "invalid progress()" }
  end
  return v, n
end)


---------------------------------------------------------------------------
-- A proxy between siptap's UAC and UAS (RFC 3261 16.7): both ends of
-- the path are on the wire, so what the proxy did can be compared.
---------------------------------------------------------------------------

-- Responses the UAS sent and the UAC got for one call, and the requests
-- each side sent or got after the INVITE.
local function both_ends(c)
  local e = { uas_sent = {}, uac_got = {}, pracks_sent = {}, pracks_got = {},
              indialog_got = {}, uac_requests = {} }
  for _, m in ipairs(c.wire) do
    if of_call(c, m) and not m.retransmission then
      if m.role == "uas" and m.sent and not m.request and
         m.cseq_method == "INVITE" then
        e.uas_sent[#e.uas_sent + 1] = m
      elseif m.role == "uac" and not m.sent and not m.request and
             m.cseq_method == "INVITE" then
        e.uac_got[#e.uac_got + 1] = m
      elseif m.role == "uac" and m.sent and m.request then
        e.uac_requests[#e.uac_requests + 1] = m
        if m.method == "PRACK" then
          e.pracks_sent[#e.pracks_sent + 1] = m
        end
      elseif m.role == "uas" and not m.sent and m.method == "PRACK" then
        e.pracks_got[#e.pracks_got + 1] = m
      elseif m.role == "uas" and not m.sent and m.request and
             m.method ~= "INVITE" and m.method ~= "CANCEL" then
        e.indialog_got[#e.indialog_got + 1] = m
      end
    end
  end
  return e
end

-- Each response above 100 the UAS sent, with the copy the UAC got:
-- { sent = r, got = f or nil }. A copy with the same status, CSeq, RSeq
-- and body first; else the next one with the same status and CSeq (the
-- proxy changed it on the way).
local function forwards(e)
  local out, used = {}, {}
  local function take(r, exact)
    for _, f in ipairs(e.uac_got) do
      if not used[f] and f.status == r.status and f.cseq == r.cseq and
         (not exact or (f:header("RSeq") == r:header("RSeq") and
                        f.body == r.body)) then
        used[f] = true
        return f
      end
    end
  end
  for _, r in ipairs(e.uas_sent) do
    if r.status > 100 then out[#out + 1] = { sent = r, got = take(r, true) } end
  end
  for _, x in ipairs(out) do x.got = x.got or take(x.sent, false) end
  return out
end

-- Did the INVITE pass a proxy? (It gained a Via on the way, or its
-- Call-ID was masked.)
local function proxied(c)
  return c.uas_invite ~= nil and (c.uas_id ~= c.id or
         #values(c.uas_invite, "Via") > #values(c.invite, "Via"))
end

-- A proxy that hides the topology (its Call-ID differs on the two legs)
-- rewrites these headers by design; PX-HDR-1 leaves them out.
local hidden_headers = { ["call-id"] = 1, i = 1, contact = 1, m = 1,
                         ["record-route"] = 1 }

-- Header lines of m but Via (and `skip`), in order.
local function header_lines(m, skip)
  local out = {}
  local head = m.raw:match("^(.-)\r\n\r\n") or m.raw
  local first = true
  for line in (head .. "\r\n"):gmatch("([^\r\n]*)\r\n") do
    local name = (line:match("^([^:]+):") or ""):lower():gsub("%s", "")
    if first then
      first = false
    elseif name ~= "via" and name ~= "v" and not (skip and skip[name]) then
      out[#out + 1] = line
    end
  end
  return out
end

-- The lines in a that b lacks, as a multiset difference.
local function missing(a, b)
  local left, out = {}, {}
  for _, l in ipairs(b) do left[l] = (left[l] or 0) + 1 end
  for _, l in ipairs(a) do
    if (left[l] or 0) > 0 then
      left[l] = left[l] - 1
    else
      out[#out + 1] = "'" .. l .. "'"
    end
  end
  return out
end

local function body_lines(body)
  local out = {}
  for l in (body .. "\n"):gmatch("([^\n]*)\n") do
    out[#out + 1] = (l:gsub("\r$", ""))
  end
  return out
end

-- The first body line that differs between a and b, or nil.
local function body_diff(a, b)
  if a.body == b.body then return nil end
  local la, lb = body_lines(a.body), body_lines(b.body)
  for i = 1, math.max(#la, #lb) do
    if la[i] ~= lb[i] then
      return ("body line %d: sent '%s', got '%s'"):format(i,
             tostring(la[i]), tostring(lb[i]))
    end
  end
end

-- What changed between m as sent (a) and as got (b): which header lines
-- were removed, added or reordered, and the first body line that
-- differs; nil when nothing did. Content-Length follows the body.
local function changes(a, b, skip)
  skip = skip or {}
  if a.body ~= b.body then
    skip = setmetatable({ ["content-length"] = 1, l = 1 },
                        { __index = skip })
  end
  local la, lb = header_lines(a, skip), header_lines(b, skip)
  local out = {}
  if not same_list(la, lb) then
    local gone, new = missing(la, lb), missing(lb, la)
    if #gone > 0 then out[#out + 1] = table.concat(gone, ", ") .. " removed" end
    if #new > 0 then out[#out + 1] = table.concat(new, ", ") .. " added" end
    if #out == 0 then
      for i = 1, #la do
        if la[i] ~= lb[i] then
          out[1] = ("header line %d: sent '%s', got '%s' (reordered)")
                   :format(i, la[i], lb[i])
          break
        end
      end
    end
  end
  out[#out + 1] = body_diff(a, b)
  if #out > 0 then return table.concat(out, "; ") end
end

-- The request the UAC sent that m (a request the UAS got) is a copy of.
local function sent_copy(e, m)
  for _, q in ipairs(e.uac_requests) do
    if q.method == m.method and q.cseq == m.cseq then return q end
  end
end

-- Did request m reach the UAS through the proxy? Its top Via is not the
-- one the UAC sent (the proxy puts its own on top, or hides the path).
local function through_proxy(e, m)
  local q = sent_copy(e, m)
  if not q then return #values(m, "Via") >= 2 end
  return via_core(values(m, "Via")[1] or "") ~= via_core(values(q, "Via")[1])
end

rule("PX-FWD-1", "the proxy forwards every provisional but 100", function(c, ctx)
  local v, n = {}, 0
  if not proxied(c) then return v, 0 end
  local e = both_ends(c)
  -- RFC 3261 16.7 step 5: a provisional the proxy handles after the
  -- final response is not forwarded. Sent back to back over UDP, the
  -- two can reach a proxy's workers in either order.
  local function overtaken(r)
    for _, f in ipairs(e.uas_sent) do
      if f.status >= 200 and f.cseq == r.cseq and f.time >= r.time and
         f.time - r.time <= slack(ctx) then
        for _, g in ipairs(e.uac_got) do
          if g.status == f.status and g.cseq == f.cseq then return true end
        end
      end
    end
  end
  for _, x in ipairs(forwards(e)) do
    local r = x.sent
    if r.status < 200 then
      n = n + 1
      if not x.got and not overtaken(r) then
        v[#v + 1] = { msg = r, why = "the UAS sent " .. r.status ..
                      ", the UAC never got it" }
      end
    end
  end
  return v, n
end)

rule("PX-HDR-1", "forwarded responses unchanged but for Via: headers and body",
function(c)
  local v, n = {}, 0
  if not proxied(c) then return v, 0 end
  local skip = c.uas_id ~= c.id and hidden_headers or nil
  for _, x in ipairs(forwards(both_ends(c))) do
    if x.got then
      n = n + 1
      local what = changes(x.sent, x.got, skip)
      if what then
        v[#v + 1] = { msg = x.got, why = x.sent.status .. " arrived changed "
                      .. "(UAS sent, UAC got): " .. what }
      end
    end
  end
  return v, n
end)

rule("PX-100-1", "the proxy answers the INVITE with its own 100 Trying, Timestamp copied",
function(c)
  local v, n = {}, 0
  if not proxied(c) then return v, 0 end
  local e = both_ends(c)
  n = 1
  local own
  for _, m in ipairs(e.uac_got) do
    if m.status == 100 then own = own or m end
  end
  -- RFC 3261 16.2: built as in 8.2.6, which copies the Timestamp
  local ts = c.invite:header("Timestamp")
  if not own then
    v[#v + 1] = { msg = c.invite, why = "no 100 Trying reached the UAC" }
  elseif ts and own:header("Timestamp") ~= ts then
    v[#v + 1] = { msg = own, why = "the proxy's 100 has Timestamp " ..
                  tostring(own:header("Timestamp")) .. ", the INVITE's "
                  .. "is " .. ts }
  end
  return v, n
end)

rule("PX-RR-1", "Record-Route kept in 18x; PRACK, ACK, BYE go through the proxy",
function(c)
  local v, n = {}, 0
  if not proxied(c) then return v, 0 end
  local e = both_ends(c)
  local rr = values(c.uas_invite, "Record-Route")
  if #rr == 0 then return v, 0 end
  -- hiding the topology, the proxy masks its Record-Route on one leg:
  -- the count is what must stay
  local hidden = c.uas_id ~= c.id
  for _, r in ipairs(e.uac_got) do
    if r.status > 100 and r.status < 300 and r.to_tag then
      n = n + 1
      local got = values(r, "Record-Route")
      if hidden and #got ~= #rr or not hidden and not same_list(got, rr) then
        v[#v + 1] = { msg = r, why = "Record-Route at the UAC is " ..
                      show_list(got) .. ", wanted " .. show_list(rr) }
      end
    end
  end
  -- the ACK of a non-2xx is the proxy's own, hop by hop
  local accepted = false
  for _, r in ipairs(e.uas_sent) do
    if r.status >= 200 and r.status < 300 then accepted = true end
  end
  for _, m in ipairs(e.indialog_got) do
    if m.method ~= "ACK" or accepted then
      n = n + 1
      if not through_proxy(e, m) then
        v[#v + 1] = { msg = m, why = m.method .. " reached the UAS without "
                      .. "passing the proxy (its top Via is the UAC's)" }
      end
    end
  end
  return v, n
end)

rule("PX-REL-1", "reliable provisionals keep RSeq and Require: 100rel on the way",
function(c)
  local v, n = {}, 0
  if not proxied(c) then return v, 0 end
  for _, x in ipairs(forwards(both_ends(c))) do
    local r, f = x.sent, x.got
    if r:header("RSeq") and f then
      n = n + 1
      if f:header("RSeq") ~= r:header("RSeq") then
        v[#v + 1] = { msg = f, why = r.status .. ": 'RSeq: " ..
                      r:header("RSeq") .. "' lost on the way (the UAC got "
                      .. tostring(f:header("RSeq")) .. ")" }
      elseif not has_option(f, "Require", "100rel") then
        v[#v + 1] = { msg = f, why = r.status .. ": Require: 100rel lost "
                      .. "on the way" }
      end
    end
  end
  return v, n
end)

-- A request the UAC sent and the copy the UAS got: headers and body the
-- proxy must pass on unchanged (RFC 3261 16.6 changes none of them).
local function request_diff(sent, got, names)
  local out = {}
  for _, h in ipairs(names) do
    local a, b = values(sent, h), values(got, h)
    if not same_list(a, b) then
      out[#out + 1] = h .. " " .. show_list(b) .. ", the UAC sent " ..
                      show_list(a)
    end
  end
  out[#out + 1] = body_diff(sent, got)
  if #out > 0 then return table.concat(out, "; ") end
end

rule("PX-REQ-1", "the INVITE reaches the UAS with its Require, Supported and body",
function(c)
  if not proxied(c) then return {}, 0 end
  local why = request_diff(c.invite, c.uas_invite,
                           { "Require", "Supported", "Content-Type" })
  if why then
    return { { msg = c.uas_invite, why = "the INVITE reached the UAS with "
               .. why } }, 1
  end
  return {}, 1
end)

rule("PX-REQ-2", "each PRACK reaches the UAS with its RAck and body",
function(c)
  local v, n = {}, 0
  if not proxied(c) then return v, 0 end
  local e = both_ends(c)
  for _, p in ipairs(e.pracks_sent) do
    n = n + 1
    local got
    for _, q in ipairs(e.pracks_got) do
      if q.cseq == p.cseq then got = q end
    end
    local why = got and request_diff(p, got, { "RAck", "Content-Type" })
    if not got then
      v[#v + 1] = { msg = p, why = "PRACK (CSeq " .. p.cseq .. ", RAck " ..
                    tostring(p:header("RAck")) .. ") never reached the UAS" }
    elseif why then
      v[#v + 1] = { msg = got, why = "the PRACK reached the UAS with " ..
                    why }
    end
  end
  return v, n
end)

-- The call as the UAS saw it: the INVITE it got, the responses it sent,
-- the PRACKs it got and its answers. The general rules look at it to
-- tell what the UAS did from what a proxy did on the way.
function M.uas_view(c)
  if not c.uas_invite then return nil end
  local u = { id = c.uas_id, invite = c.uas_invite, uas_invite = c.uas_invite,
              uas_id = c.uas_id, responses = {}, pracks = {},
              prack_answers = {}, invite_copies = {}, wire = c.wire }
  for _, m in ipairs(c.wire) do
    if m.role == "uas" and m.call_id == c.uas_id then
      if not m.sent and m.method == "INVITE" then
        u.invite_copies[#u.invite_copies + 1] = m
      elseif not m.sent and m.method == "PRACK" then
        u.pracks[#u.pracks + 1] = m
      elseif m.sent and not m.request and m.cseq_method == "INVITE" then
        u.responses[#u.responses + 1] = m
      elseif m.sent and not m.request and m.cseq_method == "PRACK" then
        u.prack_answers[#u.prack_answers + 1] = m
      end
    end
  end
  return u
end

M.rules = R

return M
