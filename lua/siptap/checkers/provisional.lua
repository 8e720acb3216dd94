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
--   P-EXT-1     an unsupported Require: 420 at once, every such tag in Unsupported
--   P-DLG-2     a request for no dialog (a CANCEL for no transaction) gets 481
--   P-2XX-1     the 2xx is retransmitted at T1 doubling up to T2 until the ACK
--
-- P-EXT-1 knows only the wire, and a UAS may support option tags siptap
-- has never heard of. So it blames only what the wire proves:
--   - a Require tag that no UAS supports: one starting "x-siptap-"
--     (siptap's reserved prefix; IANA registers no such tag) or one the
--     scenario names in ctx.unsupported. An INVITE that requires one must
--     get 420 listing it; any other answer (180, 200 ...) is a finding;
--   - a 420: no provisional (not even 100 Trying) before it; Unsupported
--     lists only tags the INVITE required; and when the 420 carries
--     Supported (which enumerates all the UAS supports, RFC 3261 20.37)
--     every required tag is in Unsupported or in Supported.
--   A 420 without Supported that leaves out a tag siptap does not know
--   is not blamed: the UAS may support it.
--
-- P-DLG-2 looks at the requests of a call that have a To tag no
-- dialog-forming response (101..299 to an INVITE) of the UAS carried
-- before they were sent (PRACK excepted: R-PRACK-2 judges it; ACK has
-- no answer), and at CANCELs whose Via branch is no earlier request's
-- (a CANCEL of a PRACK or BYE may find its transaction: 200, RFC 3261
-- 9.2): their final response must be 481. An INVITE that says nothing (no final)
-- is the scenario's to notice. Through a proxy the UAS's side is judged
-- (a proxy answers a stray CANCEL itself), nothing when the request
-- never reached the UAS.
--
-- P-2XX-1: copies of the first 2xx (same bytes), over UDP, until the
-- ACK or a BYE (or CANCEL) of the UAC, or 64*T1: a copy every T1, 2*T1,
-- 4*T1 ... capped at T2 (tolerance as R-RETX-1's), none missing, none
-- after the ACK. T2 is 8*T1, as siptap scales every timer with T1 (4 s
-- at the default T1 of 500 ms, RFC 3261's T2). Not checked when the UAC
-- retransmitted the INVITE after the 2xx (a UAS may answer it with a
-- copy), nor over TCP and TLS (RFC 3261 13.3.1.4 retransmits end to
-- end, but a UAS whose first hop is reliable commonly does not; the
-- reference UAS does).
-- The 2xx to each re-INVITE of the UAC is judged the same way (RFC
-- 3261 14.2), until the ACK with its CSeq or a BYE, unless that
-- re-INVITE came again after its 2xx.
--
-- Each checker: function(c, ctx, out) -> violations, checked, over one
-- call of siptap.checkers.wire; violations: { { msg = m, why = "..." },
-- ... }, added to out when given (an empty list siptap.rules lends it),
-- else to a list of its own.
-- siptap.checkers (init.lua) puts the families together.

local W = require "siptap.checkers.wire"

local trim, values, has_option = W.trim, W.values, W.has_option
local same_list, show_list, of_call = W.same_list, W.show_list, W.of_call
local unique, asked, final, wire_end = W.unique, W.asked, W.final, W.wire_end
local via_core, slack, top_branch = W.via_core, W.slack, W.top_branch

local same_bytes = W.same_bytes

local rules, rule = W.family()

-- The To header without its tag parameter. A tag begins at a ';': what
-- comes before the first one is kept as it is (gsub copied it byte by
-- byte, and an INVITE's To has most often no ';' at all).
local function to_without_tag(v)
  v = v or ""
  local semi = v:find(";", 1, true)
  if not semi then return trim(v) end
  return trim(v:sub(1, semi - 1) ..
              v:sub(semi):gsub(";%s*[tT][aA][gG]%s*=%s*[^;%s]*", ""))
end

local function make_vias(m)
  local out = {}
  local list_ = values(m, "Via")
  for i = 1, #list_ do
    local v = list_[i]
    out[i] = i == 1 and via_core(v) or v
  end
  return out
end

-- (kept with the message, W.derive: read it, never change it)
local function vias(m)
  return W.derive(m, "vias", make_vias)
end

local COPIED = { "Via", "From", "Call-ID", "CSeq" }
local EMPTY = {}   -- (never changed)

rule("P-COPY-1", "Via, From, Call-ID and CSeq copied from the INVITE",
function(c, _, out)
  local v, n, inv = out or {}, 0, c.invite
  local wanted = {}   -- the INVITE's, read once
  -- (read once: each message's first read of a method is a C call)
  local same_headers = inv.same_headers
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
    n = n + 1
    -- most responses copy all four as they were: one call says so
    local all = same_headers and same_headers(r, inv, "Via", "From",
                                              "Call-ID", "CSeq")
    for i_ = 1, all and 0 or #COPIED do
      local h = COPIED[i_]
      local want, got
      if same_headers and same_headers(r, inv, h) then
        -- the same header lines, compared in place (no list made of
        -- either): the same values, and the same Vias (values and vias
        -- are functions of them)
        want, got = EMPTY, EMPTY
      elseif h == "Via" then
        -- the same Via values are the same Vias without the transport's
        -- additions (vias is a function of them): most responses copy
        -- the INVITE's as they were, and no list is made again
        want, got = values(inv, "Via"), values(r, "Via")
        if not same_list(want, got) then want, got = vias(inv), vias(r) end
      else
        want = wanted[h] or inv:headers(h)
        wanted[h], got = want, r:headers(h)
      end
      if not same_list(want, got) then
        v[#v + 1] = { msg = r, why = h .. " is " .. show_list(got) ..
                      ", the INVITE had " .. show_list(want),
                      observed = h .. ": " .. show_list(got) }
        break
      end
    end
  end
  return v, n
end)

local function make_to(m)
  return to_without_tag(m:header("To"))
end

-- (kept with the message, W.derive)
local function to_of(m)
  return W.derive(m, "to", make_to)
end

-- A tag parameter and white space, all there is after the INVITE's To
-- in most responses' To
local TAG_ONLY = "^;%s*[tT][aA][gG]%s*=%s*[^;%s]*%s*$"
local find = string.find

-- to_without_tag(to) when it is want (the INVITE's, without a ';'),
-- read in place: to is want, or want and TAG_ONLY (to_without_tag
-- keeps what precedes its first ';', want, drops the tag parameter and
-- trims the white space after it); else made as for any To. Each
-- response is read once: nothing kept with it.
local function to_as(to, want, plain)
  if plain and to and (to == want or find(to, want, 1, true) == 1 and
                       find(to, TAG_ONLY, #want + 1)) then
    return want
  end
  return to_without_tag(to)
end

rule("P-TAG-1", "To URI of the INVITE, and a To tag on every non-100",
function(c, _, out)
  local v, n = out or {}, 0
  local want = to_of(c.invite)
  local plain = not find(want, ";", 1, true)
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
    n = n + 1
    local got = to_as(r:header("To"), want, plain)
    if got ~= want then
      v[#v + 1] = { msg = r, why = "To is '" .. got .. "', the INVITE's "
                    .. "is '" .. want .. "'" }
    elseif r.status ~= 100 and not r.to_tag then
      v[#v + 1] = { msg = r, why = r.status .. " without a To tag",
                    observed = "To: " .. tostring(r:header("To")) }
    end
  end
  return v, n
end)

rule("P-TAG-2", "one To tag for all non-100 responses", function(c, _, out)
  local v, n, tag = out or {}, 0, nil
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
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

rule("P-100-1", "100 Trying: never reliable, Timestamp copied", function(c, _, out)
  local v, n = out or {}, 0
  local ts = c.invite:header("Timestamp")
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status == 100 then
      n = n + 1
      if r:has_header("RSeq") or has_option(r, "Require", "100rel") then
        v[#v + 1] = { msg = r, why = "100 Trying sent reliably",
                      observed = "100 with RSeq: " ..
                                 tostring(r:header("RSeq")) }
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
function(c, _, out)
  local v, n = out or {}, 0
  -- the Record-Route the UAS got; unknown when a proxy made its INVITE
  -- unrecognisable (c.unmatched): then only the Contact is checked
  local rr = not c.unmatched and values(c.uas_invite or c.invite,
                                        "Record-Route")
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status > 100 and r.status < 200 and r.to_tag then
      n = n + 1
      local contact = r:header("Contact")
      if not contact or not contact:match("^%s*[^<]*<?%s*sips?:") then
        v[#v + 1] = { msg = r, why = "no Contact with a SIP URI",
                      observed = "Contact: " ..
                                 tostring(r:header("Contact") or "(none)") }
      elseif rr and not same_list(values(r, "Record-Route"), rr) then
        v[#v + 1] = { msg = r, why = "Record-Route is " ..
                      show_list(values(r, "Record-Route")) ..
                      ", the INVITE had " .. show_list(rr) }
      end
    end
  end
  return v, n
end)

rule("P-REASON-1", "the reason phrase asked for, or the default", function(c, ctx, out)
  local v, n = out or {}, 0
  if not ctx.reason then return v, 0 end
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
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
function(c, ctx, out)
  local v, n = out or {}, 0
  if not ctx.headers then return v, 0 end
  local mandatory = { via = 1, v = 1, from = 1, f = 1, to = 1, t = 1,
                      ["call-id"] = 1, i = 1, cseq = 1 }
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
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
      for i_ = 1, #order do
        local h = order[i_]
        local count = want[h]
        local got, first = 0, nil
        for i = 1, #lines do
          local line = lines[i]
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
function(c, ctx, out)
  local v, n = out or {}, 0
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
    n = n + 1
    local cl = r:header("Content-Length")
    local ct = r:header("Content-Type")
    if not cl or tonumber(trim(cl)) ~= #r.body then
      v[#v + 1] = { msg = r, why = "Content-Length " .. tostring(cl) ..
                    ", the body has " .. #r.body .. " bytes" }
    elseif #r.body > 0 and not ct then
      v[#v + 1] = { msg = r, why = "a body without Content-Type",
                    observed = #r.body .. " bytes of body, no Content-Type" }
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
function(c, ctx, out)
  local v, n = out or {}, 0
  for i = 2, #c.invite_copies do
    local sent = c.invite_copies[i]
    local latest
    local list_ = c.responses
    for i_ = 1, #list_ do
      local r = list_[i_]
      if r.time < sent.time and r.status < 200 then latest = r end
    end
    local answered_final = false
    local list_ = c.responses
    for i_ = 1, #list_ do
      local r = list_[i_]
      if r.status >= 200 and r.time < sent.time then answered_final = true end
    end
    if latest and not answered_final then
      n = n + 1
      local again = false
      local list_ = c.responses
      for i_ = 1, #list_ do
        local r = list_[i_]
        if r.time >= sent.time and same_bytes(r, latest) then again = true end
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
function(c, ctx, out)
  local v, n = out or {}, 0
  local minute = ctx.minute or 120 * ctx.t1
  local times = {}
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
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
                    times[i] - times[i - 1], minute),
                    miss = times[i] - times[i - 1] - (minute * 1.25 + 50) }
      break
    end
  end
  return v, n
end)

-- P-RANGE-1 is about what did not happen: ctx.refused is true when the
-- scenario saw progress() refuse; then no response may be on the wire.
rule("P-RANGE-1", "progress() outside 100..199 sends nothing", function(c, ctx, out)
  local v, n = out or {}, 1
  -- what the UAS sent, where siptap's own UAS is on the wire (a proxy
  -- in between sends a 100 Trying of its own)
  -- read off the raw record: a message siptap could not decode is of
  -- no call, and still something sent
  local sent, raw = {}, {}
  local list_ = c.wire
  for i_ = 1, #list_ do
    local m = list_[i_]
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
                  .. "invalid progress()",
                  observed = tostring(sent[1].status) .. " " ..
                             tostring(sent[1].reason) .. " on the wire" }
  elseif #raw > 0 then
    v[#v + 1] = { msg = raw[1], why = "a message siptap could not decode "
                  .. "was sent for an invalid progress(): " .. raw[1].reason }
  end
  return v, n
end)

-- The requests the peer under test got in call c and its answers:
-- siptap's UAC's sends and receipts, or, in the UAS's view
-- (W.uas_view), what siptap's UAS got and sent.
local function make_side_msgs(c)
  local role = c.invite.role
  local reqs, resps = {}, {}
  local msgs = W.side(c, role)
  for i = 1, #msgs do
    local m = msgs[i]
    if m.request and m.sent == (role == "uac") then
      reqs[#reqs + 1] = m
    elseif not m.request and m.sent == (role == "uas") then
      resps[#resps + 1] = m
    end
  end
  return { reqs, resps }
end

-- (made once a call, W.once: read them, never change them)
local function side_msgs(c)
  local both = W.once(c, "side_msgs", make_side_msgs)
  return both[1], both[2]
end

local function lower_set(list)
  local set = {}
  for _, x in ipairs(list) do set[x:lower()] = true end
  return set
end

-- ctx.unsupported: option tags the scenario declares nobody supports.
local function nobody_supports(tag, ctx)
  if tag:find("^x%-siptap%-") then return true end
  for _, t in ipairs(ctx.unsupported or {}) do
    if t:lower() == tag then return true end
  end
  return false
end

rule("P-EXT-1", "an unsupported Require: 420 at once, every such tag in Unsupported",
function(c, ctx, out)
  local v, n = out or {}, 0
  local required = {}
  local list_ = values(c.invite, "Require")
  for i_ = 1, #list_ do
    local t = list_[i_]
    required[#required + 1] = t:lower()
  end
  if #required == 0 then return v, 0 end
  local f = final(c)
  if not f or f.status ~= 420 then
    local answer = f
    local list_ = c.responses
    for i_ = 1, #list_ do
      local r = list_[i_]
      answer = answer or (r.status > 100 and r)
    end
    for i_ = 1, #required do
      local t = required[i_]
      if answer and nobody_supports(t, ctx) then
        v[#v + 1] = { msg = answer, why = ("the INVITE requires '%s', "
                      .. "which no UAS supports; answered %d, not 420")
                      :format(t, answer.status) }
        return v, 1
      end
    end
    return v, 0
  end
  n = 1
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status < 200 and r.time <= f.time then
      v[#v + 1] = { msg = r, why = r.status .. " sent before the 420" }
      break
    end
  end
  local unsup = values(f, "Unsupported")
  local unsup_set, req_set = lower_set(unsup), lower_set(required)
  local supported = f:has_header("Supported") and
                    lower_set(values(f, "Supported"))
  for i_ = 1, #required do
    local t = required[i_]
    if unsup_set[t] then
      -- listed
    elseif nobody_supports(t, ctx) then
      v[#v + 1] = { msg = f, why = ("Unsupported is [%s]: it lacks '%s', "
                    .. "which no UAS supports"):format(
                    table.concat(unsup, ", "), t) }
    elseif supported and not supported[t] then
      v[#v + 1] = { msg = f, why = ("'%s' is required, in neither "
                    .. "Unsupported [%s] nor Supported"):format(t,
                    table.concat(unsup, ", ")) }
    end
  end
  for i_ = 1, #unsup do
    local t = unsup[i_]
    if not req_set[t:lower()] then
      v[#v + 1] = { msg = f, why = ("Unsupported lists '%s', which the "
                    .. "INVITE did not require"):format(t) }
    end
  end
  return v, n
end)

-- The final response to request r among the answers: same CSeq, method
-- and (a CANCEL) top Via branch, arriving after it.
local function final_to(r, resps)
  for i_ = 1, #resps do
    local a = resps[i_]
    if a.status >= 200 and a.cseq == r.cseq and a.cseq_method == r.method
       and a.time >= r.time and
       (r.method ~= "CANCEL" or top_branch(a) == top_branch(r)) then
      return a
    end
  end
end

rule("P-DLG-2", "a request for no dialog (a CANCEL for no transaction) gets 481",
function(c, _, out)
  local v, n = out or {}, 0
  c = W.uas_side(c)
  if not c then return v, 0 end
  local reqs, resps = side_msgs(c)
  for i_ = 1, #reqs do
    local r = reqs[i_]
    local why
    if r.method == "CANCEL" then
      -- a CANCEL of a PRACK, BYE ... finds that request's transaction
      -- while it lasts (64*T1 after its answer over UDP, none over TCP)
      -- and gets 200, else 481 (RFC 3261 9.2): either, not judged here
      local known = false
      for i_ = 1, #reqs do
        local i = reqs[i_]
        known = known or (i.method ~= "ACK" and i.method ~= "CANCEL" and
                          i.time <= r.time and
                          top_branch(i) == top_branch(r))
      end
      why = not known and "the CANCEL whose Via branch is no request's"
    elseif r.method ~= "ACK" and r.method ~= "PRACK" and r.to_tag then
      local dialog = false
      for i_ = 1, #resps do
        local a = resps[i_]
        dialog = dialog or (a.time < r.time and a.to_tag == r.to_tag and
                            a.cseq_method == "INVITE" and a.status > 100 and
                            a.status < 300)
      end
      why = not dialog and ("the %s with To tag %s, which no dialog "
                            .. "has,"):format(r.method, r.to_tag)
    end
    if why then
      local a = final_to(r, resps)
      local early
      for i_ = 1, #resps do
        local x = resps[i_]
        early = early or (x.cseq == r.cseq and x.cseq_method == r.method
                          and x.status > 100 and x.status < 200 and x)
      end
      if a or early then n = n + 1 end
      if a and a.status ~= 481 then
        v[#v + 1] = { msg = a, why = ("%s got %d, wanted 481"):format(why,
                      a.status) }
      elseif not a and early then
        v[#v + 1] = { msg = early, why = ("%s got %d: taken for a new "
                      .. "call"):format(why, early.status) }
      end
    end
  end
  return v, n
end)

-- The times of the ACK, and of a BYE or CANCEL, the peer got for call c.
local function ack_and_end(c)
  local reqs = side_msgs(c)
  local ack, stop
  for i_ = 1, #reqs do
    local r = reqs[i_]
    if r.method == "ACK" and r.cseq == c.invite.cseq then
      ack = ack or r.time
    elseif r.method == "BYE" or r.method == "CANCEL" then
      stop = stop or r.time
    end
  end
  return ack, stop
end

-- The copies of the 2xx f (the first one) over UDP until stop: at T1
-- doubling up to T2, none after the ACK, none missing. Violations into
-- v; returns how many were judged (0 or 1).
local function judge_2xx(v, f, copies, ack, other, last, ctx)
  local t1, t2 = ctx.t1, 8 * ctx.t1
  local stop = math.min(ack or math.huge, other or math.huge,
                        f.time + 64 * t1, last)
  -- copies after the ACK (it stops them): the last one, which misses
  -- by most (the first may have crossed a late ACK); or long after 64*T1
  local after
  for i_ = 1, #copies do
    local m = copies[i_]
    if ack and m.time > ack + slack(ctx) then after = m end
  end
  if after then
    v[#v + 1] = { msg = after, why = ("the 2xx sent again %.0f ms after "
                  .. "the ACK"):format(after.time - ack),
                  miss = after.time - ack - slack(ctx) }
    return 1
  end
  for i_ = 1, #copies do
    local m = copies[i_]
    if m.time > f.time + 64 * t1 * 1.25 + 100 then
      v[#v + 1] = { msg = m, why = ("the 2xx sent again %.0f ms after the "
                    .. "first, later than 64*T1 (%d ms)"):format(
                    m.time - f.time, 64 * t1),
                    miss = m.time - (f.time + 64 * t1 * 1.25 + 100) }
      return 1
    end
  end
  if stop - f.time < t1 * 0.6 + 30 and #copies < 2 then return 0 end
  local expect = t1
  for i = 2, #copies do
    if copies[i].time > stop + slack(ctx) then break end
    local gap = copies[i].time - copies[i - 1].time
    if gap < expect * 0.75 - 10 or gap > expect * 1.6 + 30 then
      v[#v + 1] = { msg = copies[i], why = ("copy %d of the 2xx came %.0f "
                    .. "ms after the previous one, wanted %d ms (T1 %d, "
                    .. "doubling up to T2 %d)"):format(i, gap, expect, t1,
                    t2),
                    miss = math.max(expect * 0.75 - 10 - gap,
                                    gap - expect * 1.6 - 30) }
      return 1
    end
    expect = math.min(expect * 2, t2)
  end
  -- one whenever one was due: at T1, 3*T1, 7*T1, 15*T1, 23*T1 ...
  local due, at, step = 0, 0, t1
  while true do
    at = at + step
    if at + t1 * 0.6 + 30 >= stop - f.time or at >= 64 * t1 then break end
    due = due + 1
    step = math.min(step * 2, t2)
  end
  if #copies - 1 < due then
    v[#v + 1] = { msg = f, why = ("the 2xx was sent %d time(s) in %.0f ms "
                  .. "without ACK, wanted %d retransmission(s) at T1 %d ms "
                  .. "doubling up to T2 %d ms"):format(#copies, stop - f.time,
                  due, t1, t2) }
  end
  return 1
end

-- The 2xx to each re-INVITE of the UAC over UDP (RFC 3261 14.2: as the
-- first INVITE's, 13.3.1.4), unless the re-INVITE came again after it.
local function reinvites_2xx(v, c, ctx)
  local reqs, resps = side_msgs(c)
  local n = 0
  for i_ = 1, #reqs do
    local r = reqs[i_]
    if r.method == "INVITE" and r.to_tag and r.transport == "UDP" then
      local f, copies, ack, other, again = nil, {}, nil, nil, false
      for i_ = 1, #resps do
        local m = resps[i_]
        if not f and m.cseq == r.cseq and m.cseq_method == "INVITE" and
           m.status >= 200 then
          f = m
        end
        if f and same_bytes(m, f) then copies[#copies + 1] = m end
      end
      for i_ = 1, #reqs do
        local q = reqs[i_]
        if f and q.time > f.time then
          if q.method == "ACK" and q.cseq == r.cseq then
            ack = ack or q.time
          elseif q.method == "BYE" then
            other = other or q.time
          elseif q.method == "INVITE" and q.cseq == r.cseq then
            again = true
          end
        end
      end
      if f and f.status < 300 and not again then
        n = n + judge_2xx(v, f, copies, ack, other, wire_end(c), ctx)
      end
    end
  end
  return n
end

rule("P-2XX-1", "the 2xx is retransmitted at T1 doubling up to T2 until the ACK",
function(c, ctx, out)
  local v, n = out or {}, 0
  if c.invite.role == "uac" and c.uas_invite then
    -- siptap's UAS is on the wire: its own sends are timed most exactly
    -- (and through a proxy, they are what the UAS did)
    c = W.uas_view(c) or c
  end
  n = reinvites_2xx(v, c, ctx)
  local f = final(c)
  if not f or f.status >= 300 or f.transport ~= "UDP" then return v, n end
  local list_ = c.invite_copies
  for i_ = 1, #list_ do
    local i = list_[i_]
    if i.time > f.time then return v, n end
  end
  local copies = {}
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
    if same_bytes(r, f) then copies[#copies + 1] = r end
  end
  local ack, other = ack_and_end(c)
  return v, n + judge_2xx(v, f, copies, ack, other, wire_end(c), ctx)
end)

return rules
