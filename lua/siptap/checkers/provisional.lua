-- siptap.checkers.provisional: the checkers of every provisional response:
-- conformance.md section A (RFC 3261 8.2.6, 12.1.1, 13.3.1.1, 17.2.1), and
-- P-RANGE-1 (progress() outside 100..199). Its rules:
--
--   P-COPY-1    Via, From, Call-ID and CSeq copied from the INVITE
--   P-TAG-1     To URI of the INVITE, and a To tag on every non-100
--   P-TAG-2     one To tag for all non-100 responses
--   P-100-1     100 Trying: never reliable, Timestamp copied
--   P-DLG-1     early dialog: Contact with a SIP URI, Record-Route copied
--   P-REASON-1  the reason phrase asked for, or the default
--   P-HDR-1     extra headers once each, byte for byte, after the mandatory ones
--   P-BODY-1    Content-Length is the body's length; Content-Type with a body only
--   P-RETX-1    a retransmitted INVITE gets the latest provisional again
--   P-LONG-1    an INVITE held longer than a minute gets a provisional every minute
--   P-RANGE-1   progress() outside 100..199 sends nothing
--
-- Each checker: function(c, ctx) -> violations, checked, over one call
-- of siptap.checkers.wire; violations: { { msg = m, why = "..." }, ... }.
-- siptap.checkers (init.lua) puts the families together.

local W = require "siptap.checkers.wire"

local trim, values, has_option = W.trim, W.values, W.has_option
local same_list, show_list, of_call = W.same_list, W.show_list, W.of_call
local unique, asked, final, wire_end = W.unique, W.asked, W.final, W.wire_end
local via_core = W.via_core

local rules, rule = W.family()

-- The To header without its tag parameter.
local function to_without_tag(v)
  return trim((v or ""):gsub(";%s*[tT][aA][gG]%s*=%s*[^;%s]*", ""))
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

-- P-RANGE-1 is about what did not happen: ctx.refused is true when the
-- scenario saw progress() refuse; then no response may be on the wire.
rule("P-RANGE-1", "progress() outside 100..199 sends nothing", function(c, ctx)
  local v, n = {}, 1
  -- what the UAS sent, where siptap's own UAS is on the wire (a proxy
  -- in between sends a 100 Trying of its own)
  -- read off the raw record: a message siptap could not decode is of
  -- no call, and still something sent
  local sent, raw = {}, {}
  for _, m in ipairs(c.wire) do
    if m.role == "uas" and m.sent and of_call(c, m) and not m.request
    then
      sent[#sent + 1] = m
    end
    if m.undecodable and ((m.role == "uas" and m.sent) or
                          (m.role == "uac" and not m.sent)) then
      raw[#raw + 1] = m
    end
  end
  if not c.uas_invite then sent = c.responses end
  if #sent > 0 then
    v[#v + 1] = { msg = sent[1], why = "a response was sent for an "
                  .. "invalid progress()" }
  elseif #raw > 0 then
    v[#v + 1] = { msg = raw[1], why = "a message siptap could not decode "
                  .. "was sent for an invalid progress(): " .. raw[1].reason }
  end
  return v, n
end)

return rules
