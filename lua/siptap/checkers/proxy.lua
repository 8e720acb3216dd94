-- siptap.checkers.proxy: the checkers of what a proxy between siptap's UAC
-- and UAS must do (RFC 3261 16.6, 16.7), checked with --proxy: both ends
-- of the path are on the wire, so what the proxy did can be compared. Its
-- rules:
--
--   PX-FWD-1  the proxy forwards every provisional but 100
--   PX-HDR-1  forwarded responses unchanged but for Via: headers and body
--   PX-100-1  the proxy answers the INVITE with its own 100 Trying, Timestamp copied
--   PX-RR-1   Record-Route kept in 18x; PRACK, ACK, BYE go through the proxy
--   PX-REL-1  reliable provisionals keep RSeq and Require: 100rel on the way
--   PX-REQ-1  the INVITE reaches the UAS with its Require, Supported and body
--   PX-REQ-2  each PRACK reaches the UAS with its RAck and body
--
-- Each checker: function(c, ctx, out) -> violations, checked, over one
-- call of siptap.checkers.wire; violations: { { msg = m, why = "..." },
-- ... }, added to out when given (an empty list siptap.rules lends it),
-- else to a list of its own.
-- siptap.checkers (init.lua) puts the families together.

local W = require "siptap.checkers.wire"

local values, has_option, same_list = W.values, W.has_option, W.same_list
local show_list, of_call, via_core = W.show_list, W.of_call, W.via_core
local slack = W.slack

local rules, rule = W.family()

-- Responses the UAS sent and the UAC got for one call, and the requests
-- each side sent or got after the INVITE.
local function make_both_ends(c)
  local e = { uas_sent = {}, uac_got = {}, pracks_sent = {}, pracks_got = {},
              indialog_got = {}, uac_requests = {}, accepted = {} }
  -- the INVITE's own responses (a re-INVITE's, another CSeq, are the
  -- dialog's: a proxy need not Record-Route them)
  local ucseq = c.uas_invite and c.uas_invite.cseq
  local list_ = c.wire
  for i_ = 1, #list_ do
    local m = list_[i_]
    if of_call(c, m) and not m.retransmission then
      -- the CSeqs of INVITEs (re-INVITEs too) the UAS accepted: only
      -- their ACKs are end to end
      if m.role == "uas" and m.sent and not m.request and
         m.cseq_method == "INVITE" and m.status >= 200 and m.status < 300 then
        e.accepted[m.cseq] = true
      end
      if m.role == "uas" and m.sent and not m.request and
         m.cseq_method == "INVITE" and m.cseq == ucseq then
        e.uas_sent[#e.uas_sent + 1] = m
      elseif m.role == "uac" and not m.sent and not m.request and
             m.cseq_method == "INVITE" and m.cseq == c.invite.cseq then
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

-- (made once a call, W.once: read it, never change it)
local function both_ends(c)
  return W.once(c, "both_ends", make_both_ends)
end

-- Each response above 100 the UAS sent, with the copy the UAC got:
-- { sent = r, got = f or nil }. A copy with the same status, CSeq, RSeq
-- and body first; else the next one with the same status and CSeq (the
-- proxy changed it on the way).
local function forwards(e)
  local out, used = {}, {}
  local function take(r, exact)
    local list_ = e.uac_got
    for i_ = 1, #list_ do
      local f = list_[i_]
      if not used[f] and f.status == r.status and f.cseq == r.cseq and
         (not exact or (f:header("RSeq") == r:header("RSeq") and
                        f.body == r.body)) then
        used[f] = true
        return f
      end
    end
  end
  local list_ = e.uas_sent
  for i_ = 1, #list_ do
    local r = list_[i_]
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
  for i_ = 1, #a do
    local l = a[i_]
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
  local list_ = e.uac_requests
  for i_ = 1, #list_ do
    local q = list_[i_]
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

rule("PX-FWD-1", "the proxy forwards every provisional but 100", function(c, ctx, out)
  local v, n = out or {}, 0
  if not proxied(c) then return v, 0 end
  local e = both_ends(c)
  -- RFC 3261 16.7 step 5: a provisional the proxy handles after the
  -- final response is not forwarded. Sent back to back over UDP, the
  -- two can reach a proxy's workers in either order.
  local function overtaken(r)
    local list_ = e.uas_sent
    for i_ = 1, #list_ do
      local f = list_[i_]
      if f.status >= 200 and f.cseq == r.cseq and f.time >= r.time and
         f.time - r.time <= slack(ctx) then
        local list_ = e.uac_got
        for i_ = 1, #list_ do
          local g = list_[i_]
          if g.status == f.status and g.cseq == f.cseq then return true end
        end
      end
    end
  end
  local list_ = forwards(e)
  for i_ = 1, #list_ do
    local x = list_[i_]
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
function(c, _, out)
  local v, n = out or {}, 0
  if not proxied(c) then return v, 0 end
  local skip = c.uas_id ~= c.id and hidden_headers or nil
  local list_ = forwards(both_ends(c))
  for i_ = 1, #list_ do
    local x = list_[i_]
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
function(c, _, out)
  local v, n = out or {}, 0
  if not proxied(c) then return v, 0 end
  local e = both_ends(c)
  n = 1
  local own
  local list_ = e.uac_got
  for i_ = 1, #list_ do
    local m = list_[i_]
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
function(c, _, out)
  local v, n = out or {}, 0
  if not proxied(c) then return v, 0 end
  local e = both_ends(c)
  local rr = values(c.uas_invite, "Record-Route")
  if #rr == 0 then return v, 0 end
  -- hiding the topology, the proxy masks its Record-Route on one leg:
  -- the count is what must stay
  local hidden = c.uas_id ~= c.id
  local list_ = e.uac_got
  for i_ = 1, #list_ do
    local r = list_[i_]
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
  local list_ = e.indialog_got
  for i_ = 1, #list_ do
    local m = list_[i_]
    if m.method ~= "ACK" or e.accepted[m.cseq] then
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
function(c, _, out)
  local v, n = out or {}, 0
  if not proxied(c) then return v, 0 end
  local list_ = forwards(both_ends(c))
  for i_ = 1, #list_ do
    local x = list_[i_]
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
  for i_ = 1, #names do
    local h = names[i_]
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
function(c, _, out)
  local v, n = out or {}, 0
  if not proxied(c) then return v, 0 end
  local e = both_ends(c)
  local list_ = e.pracks_sent
  for i_ = 1, #list_ do
    local p = list_[i_]
    n = n + 1
    local got
    local list_ = e.pracks_got
    for i_ = 1, #list_ do
      local q = list_[i_]
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

return rules
