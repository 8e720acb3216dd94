-- siptap.checkers.sdp: the checkers of the session descriptions the UAS
-- sends in its responses: conformance.md section C (RFC 3261 13.2.1,
-- RFC 3262 5, RFC 3264, RFC 6337, RFC 8866). Its rules:
--
--   S-ANS-1  the answer in a reliable provisional; the 2xx repeats it or has none
--   S-ANS-2  early media answer in an unreliable 18x; the 2xx carries the same
--   S-OFF-1  no offer in the INVITE: the first reliable response carries one
--   S-MOD-1  the SDP on the wire has the options and modifiers applied
--   S-FMT-1  every SDP follows the grammar of RFC 8866 section 9
--   S-OA-1   the answer's m= lines mirror the offer's; formats a subset
--   S-OA-2   the answer's directions fit the offer's
--   S-VER-1  o= keeps its identity; its version counts the changes
--
-- One deviation, one rule. Where two rules could see the same thing,
-- this is who reports it:
--   * Grammar is S-FMT-1's alone. The other rules read an SDP leniently
--     (siptap.sdp.parse) and say nothing about what does not parse: a
--     stream whose m= port is not a number is not judged by S-OA-1
--     (beyond its media type) nor by S-OA-2; an o= version that is not
--     a number is not compared by S-VER-1; a dynamic payload type without a=rtpmap
--     is compared by its number for S-OA-1 (the missing rtpmap is
--     S-FMT-1's).
--   * S-ANS-1 and S-ANS-2 compare the SDP without its o= line
--     (siptap.sdp.content): a 2xx that repeats the answer with only the
--     o= version (or sess-id, username, address) changed is S-VER-1's,
--     not theirs.
--   * After an offer/answer in a PRACK or UPDATE (R-PRACK-4, P-UPD-1,
--     P-UPD-2) the 2xx repeats that latest SDP of the UAS's, not the
--     18x's.
--   * A 2xx SDP that differs from the answer it must repeat is S-ANS-1's
--     (S-ANS-2's for early media). Its o= line is still S-VER-1's: a
--     changed SDP with its version one higher breaks S-ANS-1 only; one
--     that keeps the version (or goes up by more) breaks both rules, two
--     deviations in one message. The 2xx is then the SDP later ones are
--     compared with.
--   * S-OA-2 judges only streams S-OA-1 can pair: the same number of m=
--     lines, the same media type, both ports other than 0. An answer
--     that mirrors the offer wrongly is S-OA-1's alone.
--   * RFC 3264 6.1: an answer SHOULD keep the offer's payload type
--     numbers and MUST give dynamic ones an rtpmap. So S-OA-1 compares
--     static payload types by number and dynamic ones (96-127) by their
--     encoding name, clock rate and channels: a codec offered as 96 and
--     answered as 100 is the same codec, not a foreign one.
--   * S-OA-1 and S-OA-2 judge the UAS's answers to the INVITE's offer
--     (reliable and unreliable 18x, 2xx). Offers the UAS makes (the
--     INVITE had none) are judged by S-FMT-1 and S-VER-1.
--   * S-VER-1 follows one dialog (To tag): the SDPs of the UAS's
--     responses to the INVITE and to PRACKs, in the order they were
--     received; byte-identical retransmissions are one SDP. A copy of a
--     reliable provisional (an RSeq seen before) whose bytes differ is
--     R-RETX-1's ("identical bytes"): S-VER-1 leaves it out. A 2xx sent
--     again with another o= line is S-VER-1's (P-2XX-1 judges when, not
--     what).
--
-- Each checker: function(c, ctx, out) -> violations, checked, over one
-- call of siptap.checkers.wire; violations: { { msg = m, why = "..." },
-- ... }, added to out when given (an empty list siptap.rules lends it),
-- else to a list of its own.
-- siptap.checkers (init.lua) puts the families together.

local W = require "siptap.checkers.wire"
local sdp = require "siptap.sdp"

-- sdp.parse with its results kept (sdp.reader): the rules of a call
-- read the offer and the answer many times, and under siptap load every
-- call's SDPs are the last call's but for the o= line. Shared by these
-- checkers only: read, never change.
local parse = sdp.reader()

local rseq, is_sdp, unique, asked = W.rseq, W.is_sdp, W.unique, W.asked
local final, reliables = W.final, W.reliables

local rules, rule = W.family()

-- Do two SDPs differ but for their o= line (sdp.content)? The same
-- bytes do not, and need no content made (the 2xx repeating the
-- answer, most calls).
local function changed(a, b)
  return a ~= b and sdp.content(a) ~= sdp.content(b)
end

-- The UAS's latest answer in a 2xx to a PRACK or an UPDATE the caller
-- sent before f (R-PRACK-4, P-UPD-1): the session the 2xx then repeats.
local function renegotiated(c, f)
  local latest
  local list_ = { c.prack_answers, c.dialog or {} }
  for i_ = 1, #list_ do
    local list = list_[i_]
    for i_ = 1, #list do
      local m = list[i_]
      local answer = not m.request and not W.from_caller(m) and
        m.status >= 200 and m.status < 300 and
        (m.cseq_method == "PRACK" or m.cseq_method == "UPDATE")
      -- the UAS's own UPDATE offer (P-UPD-2)
      local offer = m.request and not W.from_caller(m) and
        m.method == "UPDATE"
      if (answer or offer) and is_sdp(m) and m.seq < f.seq and
         (not latest or m.seq > latest.seq) then
        latest = m
      end
    end
  end
  return latest
end

-- S-ANS-1: the answer in the first reliable provisional with SDP, and
-- the 2xx; the 2xx's SDP, if any, must be that answer.
local function ans1(c)
  if not is_sdp(c.invite) then return nil end
  local answer
  local list_ = reliables(c)
  for i_ = 1, #list_ do
    local e = list_[i_]
    if is_sdp(e.first) then answer = answer or e.first end
  end
  local f = final(c)
  if not answer or not f or f.status >= 300 then return nil end
  local latest = renegotiated(c, f) or answer
  local wrong = f.body ~= "" and changed(f.body, latest.body)
  return answer, f, wrong
end

-- S-ANS-2: the early media answer of an unreliable 18x, and the 2xx,
-- which must carry it.
local function ans2(c)
  if not is_sdp(c.invite) or #reliables(c) > 0 then return nil end
  local early
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status > 100 and r.status < 200 and is_sdp(r) then
      early = early or r
    end
  end
  local f = final(c)
  if not early or not f or f.status >= 300 then return nil end
  local latest = renegotiated(c, f) or early
  return early, f, changed(f.body, latest.body)
end

rule("S-ANS-1", "the answer in a reliable provisional; the 2xx repeats it or has none",
function(c, _, out)
  local answer, f, wrong = ans1(c)
  if not answer then return out or {}, 0 end
  if wrong then
    return { { msg = f, why = "the 2xx carries an SDP other than the "
               .. "answer of the reliable " .. answer.status } }, 1
  end
  return out or {}, 1
end)

rule("S-ANS-2", "early media answer in an unreliable 18x; the 2xx carries the same",
function(c, _, out)
  local early, f, wrong = ans2(c)
  if not early then return out or {}, 0 end
  if wrong then
    return { { msg = f, why = "the 2xx SDP differs from the early "
               .. "media answer in the " .. early.status } }, 1
  end
  return out or {}, 1
end)

rule("S-OFF-1", "no offer in the INVITE: the first reliable response carries one",
function(c, _, out)
  local v, n = out or {}, 0
  if is_sdp(c.invite) or c.invite.body ~= "" then return v, 0 end
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    local reliable = (r.status > 100 and r.status < 200 and rseq(r)) or
                     (r.status >= 200 and r.status < 300)
    if reliable then
      n = 1
      if not is_sdp(r) and r.body ~= "" and not r:header("Content-Type") then
        -- a body the UAC cannot take for SDP: P-BODY-1's, not a second
        -- finding
        v[#v + 1] = { msg = r, consequence = "P-BODY-1",
                      observed = "a body without Content-Type",
                      why = "the first reliable response (" .. r.status ..
                      ") has a body without Content-Type, no offer" }
      elseif not is_sdp(r) then
        v[#v + 1] = { msg = r, why = "the first reliable response (" ..
                      r.status .. ") carries no offer",
                      observed = r.status .. " with " .. (r.body == "" and
                      "no body" or "Content-Type: " ..
                      tostring(r:header("Content-Type"))) }
      end
      break
    end
  end
  return v, n
end)

-- SIP.js's hold: no stream in use receives (sendrecv became sendonly,
-- recvonly inactive; an answer mirrors that)
local function hold_problem(body)
  local d = parse(body)
  local list_ = d.media
  for i = 1, #list_ do
    local m = list_[i]
    local dir = sdp.media_direction(d, m)
    if m.port ~= 0 and (dir == "sendrecv" or dir == "recvonly") then
      return ("m= line %d (%s) is %s on hold, wanted sendonly or "
              .. "inactive"):format(i, tostring(m.type), dir)
    end
  end
end

-- SIP.js's constraints {audio, video}: an offer holds just the media
-- asked for; an answer declines (port 0) a medium not asked for and
-- takes one asked for that the offer (`offered`, parsed) has with a
-- port (the scenario offers formats the UAS has: ctx.constraints says
-- so)
local function constraints_problem(body, want, offered)
  local has = {}
  local list_ = parse(body).media
  for i = 1, #list_ do
    local m = list_[i]
    local kind = (m.type == "audio" or m.type == "video") and m.type
    local o = offered and offered.media[i]
    if kind and not want[kind] and m.port ~= 0 then
      return ("m= line %d: %s with port %s, the constraints leave %s out"
              .. "%s"):format(i, kind, tostring(m.port), kind,
              offered and " (wanted port 0)" or "")
    elseif kind and want[kind] and m.port == 0 and o and o.port ~= 0 then
      return ("m= line %d: %s declined (port 0), the constraints ask for "
              .. "it and the offer has it"):format(i, kind)
    end
    has[m.type] = true
  end
  local list_ = { "audio", "video" }
  for i_ = 1, #list_ do
    local kind = list_[i_]
    if not offered and want[kind] and not has[kind] then
      return "the offer has no " .. kind .. " stream, the constraints "
             .. "ask for one"
    end
  end
end

-- ctx.codecs (list of names, in order), ctx.direction,
-- ctx.absent_codecs, ctx.hold (SIP.js's hold = true) and
-- ctx.constraints ({audio = bool, video = bool}, as SIP.js's).
rule("S-MOD-1", "the SDP on the wire has the options and modifiers applied",
function(c, ctx, out)
  local v, n = out or {}, 0
  if not ctx.codecs and not ctx.direction and not ctx.absent_codecs and
     not ctx.hold and not ctx.constraints then
    return v, 0
  end
  local offered = is_sdp(c.invite) and parse(c.invite.body) or nil
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
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
      local why = ctx.hold and hold_problem(r.body)
      if why then v[#v + 1] = { msg = r, why = "hold: " .. why } end
      why = ctx.constraints and
            constraints_problem(r.body, ctx.constraints, offered)
      if why then v[#v + 1] = { msg = r, why = "constraints: " .. why } end
    end
  end
  if n == 0 then
    v[#v + 1] = { msg = c.invite, why = "no SDP in a provisional response",
                  observed = "no provisional with a body" }
    n = 1
  end
  return v, n
end)

-- The SDPs the UAS sent in call c, in the order they came: its
-- responses to the INVITE and to PRACKs, retransmissions left out.
local function make_sdps(c)
  local out = {}
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    if is_sdp(r) then out[#out + 1] = r end
  end
  local list_ = c.prack_answers
  for i_ = 1, #list_ do
    local r = list_[i_]
    if not r.retransmission and is_sdp(r) then out[#out + 1] = r end
  end
  -- the UAS's SDPs in the rest of the dialog: its answers to UPDATE and
  -- re-INVITE, its own UPDATE offers (P-UPD-1, P-UPD-2)
  local list_ = c.dialog or {}
  for i_ = 1, #list_ do
    local r = list_[i_]
    if not r.retransmission and not W.from_caller(r) and is_sdp(r) then
      out[#out + 1] = r
    end
  end
  return W.sort_seq(out)
end

-- (made once a call, W.once: read it, never change it)
local function sdps(c)
  return W.once(c, "sdps", make_sdps)
end

-- "the 183", "the 200 to the PRACK"
local function label(r)
  if r.request then return "the UAS's " .. r.method end
  if r.cseq_method == "INVITE" then return "the " .. r.status end
  return ("the %d to the %s"):format(r.status, r.cseq_method)
end

rule("S-FMT-1", "every SDP follows the grammar of RFC 8866 section 9",
function(c, _, out)
  local v, n, seen = out or {}, 0, {}
  local list_ = sdps(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    n = n + 1
    local ok, why = sdp.check(r.body)
    local same = seen[r.body]
    if same then
      -- the same bytes again: one finding, naming each message
      same.labels[#same.labels + 1] = label(r):sub(5)
      same.x.why = label(same.first) .. " SDP (and the " ..
                   table.concat(same.labels, ", the ") .. ", the same " ..
                   "bytes): " .. same.why
    elseif not ok then
      local x = { msg = r, why = label(r) .. " SDP: " .. why }
      v[#v + 1] = x
      seen[r.body] = { x = x, first = r, labels = {}, why = why }
    end
  end
  return v, n
end)

local answers = W.answers

local function is_dynamic(pt)
  local n = tonumber(pt)
  return n and n >= 96 and n <= 127
end

-- A format as S-OA-1 compares it: a dynamic payload type with an rtpmap
-- by encoding name and clock rate, any other by its number.
local function codec(m, pt)
  local map = is_dynamic(pt) and m.rtpmap[pt]
  if map then return map.name .. "/" .. map.clock, map end
  return "#" .. pt
end

-- What an accepted RTP stream of the answer has that its offer lacks.
local function foreign_formats(om, am)
  local offered, numbers = {}, {}
  local list_ = om.fmts
  for i_ = 1, #list_ do
    local pt = list_[i_]
    offered[codec(om, pt)], numbers[pt] = true, true
  end
  local out = {}
  local list_ = am.fmts
  for i_ = 1, #list_ do
    local pt = list_[i_]
    local key, map = codec(am, pt)
    -- no rtpmap for a dynamic type is S-FMT-1's: its number decides
    local known = offered[key] or (not map and numbers[pt])
    if not known then
      out[#out + 1] = not map and pt or
                      ("%s (%s/%s)"):format(pt, map.shown, map.clock)
    end
  end
  return out
end

local function stream(m) return ("line %d %s"):format(m.line, sdp.show(m.text)) end

local function mirror_problems(offer, answer)
  local out = {}
  if #answer.media ~= #offer.media then
    out[1] = ("m= lines: %d, the offer has %d (an answer mirrors every " ..
              "offered stream, a rejected one with port 0)"):format(
              #answer.media, #offer.media)
  end
  for i = 1, math.min(#answer.media, #offer.media) do
    local om, am = offer.media[i], answer.media[i]
    if (am.type or ""):lower() ~= (om.type or ""):lower() then
      out[#out + 1] = ("%s: media %s where the offer's m= line %d is %s")
        :format(stream(am), tostring(am.type), i, tostring(om.type))
    elseif not am.port then   -- S-FMT-1's: not a number
      goto next
    elseif om.port == 0 and am.port ~= 0 and not om.bundle_only then
      out[#out + 1] = ("%s: port %s for a stream the offer has with " ..
        "port 0"):format(stream(am), tostring(am.port_text))
    elseif am.port ~= 0 and (om.port ~= 0 or om.bundle_only) and
           (am.proto or ""):find("RTP/") then
      local extra = foreign_formats(om, am)
      if #extra > 0 then
        out[#out + 1] = ("%s: format %s not in the offer's m= line %d " ..
          "(%s)"):format(stream(am), table.concat(extra, ", "), i,
          sdp.show(om.text))
      end
    end
    ::next::
  end
  return out
end

-- What S-OA-1 and S-OA-2 find for an offer and an answer is a function
-- of their parsed streams alone (and the session's direction, read with
-- them): kept by the two media lists, which the reader shares between
-- SDPs that differ only in their o= line (under siptap load, every
-- call's offer and answer). Weak keys: it goes with the parses.
local function pair_memo()
  local by = setmetatable({}, { __mode = "k" })
  return function(offer, answer, fn)
    local of = by[offer.media]
    if not of then
      of = setmetatable({}, { __mode = "k" })
      by[offer.media] = of
    end
    local r = of[answer.media]
    if not r then
      r = { fn(offer, answer) }
      of[answer.media] = r
    end
    return r[1], r[2]
  end
end

local mirror_memo, directions_memo = pair_memo(), pair_memo()

rule("S-OA-1", "the answer mirrors the offer's m= lines; its formats are offered ones",
function(c, _, out)
  local v, list = out or {}, answers(c)
  if #list == 0 then return v, 0 end
  local offer = parse(c.invite.body)
  for i_ = 1, #list do
    local r = list[i_]
    local out = mirror_memo(offer, parse(r.body), mirror_problems)
    if #out > 0 then
      v[#v + 1] = { msg = r, why = label(r) .. " answer: " ..
                    table.concat(out, "; ") }
    end
  end
  return v, #list
end)

-- RFC 3264 6.1: what each offered direction may be answered with
-- (sendrecv: anything).
local ANSWERABLE = {
  sendonly = { recvonly = true, inactive = true },
  recvonly = { sendonly = true, inactive = true },
  inactive = { inactive = true },
}

-- The directions of the answer's streams that do not fit the offer's,
-- and how many streams were judged.
local function direction_problems(offer, answer)
  local n, out = 0, {}
  if #answer.media == #offer.media then
    local list_ = answer.media
    for i = 1, #list_ do
      local am = list_[i]
      local om = offer.media[i]
      if (am.type or ""):lower() == (om.type or ""):lower() and
         am.port and am.port ~= 0 and om.port ~= 0 then
        n = n + 1
        local od = sdp.media_direction(offer, om)
        local ad = sdp.media_direction(answer, am)
        local ok = ANSWERABLE[od]
        if ok and not ok[ad] then
          local want = {}
          for d in pairs(ok) do want[#want + 1] = d end
          table.sort(want)
          out[#out + 1] = ("%s: %s answered to a stream offered %s " ..
            "(wanted %s)"):format(stream(am), ad, od,
            table.concat(want, " or "))
        end
      end
    end
  end
  return out, n
end

rule("S-OA-2", "each answered direction fits the offered one",
function(c, _, out)
  local v, n, list = out or {}, 0, answers(c)
  if #list == 0 then return v, 0 end
  local offer = parse(c.invite.body)
  for i_ = 1, #list do
    local r = list[i_]
    local out, judged = directions_memo(offer, parse(r.body),
                                        direction_problems)
    n = n + judged
    if #out > 0 then
      v[#v + 1] = { msg = r, why = label(r) .. " answer: " ..
                    table.concat(out, "; ") }
    end
  end
  return v, n
end)

-- A decimal version string plus one, any length.
local function plus_one(s)
  for i = #s, 1, -1 do
    local ch = s:byte(i)
    if ch ~= 57 then   -- "9"
      return s:sub(1, i - 1) .. string.char(ch + 1) .. ("0"):rep(#s - i)
    end
  end
  return "1" .. ("0"):rep(#s)
end

-- (most versions have no leading zero: no copy made)
local function number(s)
  if s:byte(1) ~= 48 then return s end   -- "0"
  return (s:gsub("^0+(%d)", "%1"))
end

local IDENTITY = { { "user", "username" }, { "id", "sess-id" },
                   { "nettype", "nettype" }, { "addrtype", "addrtype" },
                   { "addr", "address" } }

-- What is wrong with the o= line of r, sent after prev in one dialog.
local function origin_problem(prev, r)
  local a, b = parse(prev.body).origin, parse(r.body).origin
  if not a or not b then return nil end
  for i_ = 1, #IDENTITY do
    local f = IDENTITY[i_]
    if a[f[1]] ~= b[f[1]] then
      return ("o= %s %s, but %s in %s (one session keeps it)"):format(
        f[2], b[f[1]], a[f[1]], label(prev))
    end
  end
  if not a.version:find("^%d+$") or not b.version:find("^%d+$") then
    return nil
  end
  local va, vb = number(a.version), number(b.version)
  if not changed(prev.body, r.body) then
    if va ~= vb then
      return ("o= version %s, but %s in %s, whose SDP this repeats " ..
        "unchanged (the version goes up only with a change)"):format(
        vb, va, label(prev))
    end
  elseif vb ~= plus_one(va) then
    return ("o= version %s after %s in %s, and the SDP changed (wanted " ..
      "%s: one more)"):format(vb, va, label(prev), plus_one(va))
  end
  return nil
end

rule("S-VER-1", "o= keeps its identity in a dialog; its version counts the changes",
function(c, _, out)
  local v, n, last, rseqs = out or {}, 0, {}, {}
  local list_ = sdps(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    -- the UAS's tag: a request of its own has it in From
    local dialog = (r.request and W.from_tag(r) or r.to_tag) or ""
    local prev = last[dialog]
    -- a reliable provisional again (its RSeq seen): a copy whose bytes
    -- are R-RETX-1's, not a new SDP
    local n_rseq = not r.request and r.status > 100 and r.status < 200 and
                   rseq(r)
    local copy = n_rseq and rseqs[n_rseq]
    if n_rseq then rseqs[n_rseq] = true end
    if not copy then last[dialog] = r end
    if prev and not copy then
      n = n + 1
      local why = origin_problem(prev, r)
      if why then v[#v + 1] = { msg = r, why = label(r) .. " SDP: " .. why } end
    end
  end
  return v, n
end)

return rules
