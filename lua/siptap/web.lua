-- siptap.web: SIP.js's built-in session description modifiers (sip.js
-- 0.21.2, Web.holdModifier, Web.stripVideo, ...), with the same names and
-- the same output, byte for byte, for use in
-- sessionDescriptionHandlerModifiers:
--
--   local web = require "siptap.web"
--   inv:progress{ sessionDescriptionHandlerModifiers = {
--     web.stripTelephoneEvent, web.stripRtpPayload("PCMA"), web.holdModifier } }
--
-- In SIP.js a modifier takes an RTCSessionDescriptionInit {type, sdp} and
-- returns a Promise of one; here it is function(sdp, type) -> sdp (type
-- "offer" or "answer", or nil where the caller does not give one; only
-- holdModifier looks at it). SIP.js's modifiers are regular expressions
-- over the text, not an SDP parser, and they are reproduced as they are:
-- what they match that an SDP grammar would not (a=sendrecv anywhere in a
-- line, "m=" in the middle of one), what they leave alone (an SDP with LF
-- line ends), the LF-only "a=mid:N" lines addMidLines adds, and the
-- BUNDLE group stripVideo edits with a pattern built from the mid.
-- tests/e2e/e2e_web.sh runs SIP.js's own functions and these over a corpus
-- of SDPs (tests/e2e/fixtures/web/) and compares the outputs.
--
-- Every function is plain string code: no pattern here can backtrack
-- without bound, whatever the SDP holds.

local M = {}

-- Line ends as a JavaScript regular expression sees them: "^" with the m
-- flag matches after each, "." and "$" stop at each. Besides CR and LF,
-- U+2028 and U+2029, which are E2 80 A8 and E2 80 A9 in UTF-8.
local function term_len(s, p)
  local c = s:byte(p)
  if c == 13 or c == 10 then return 1 end
  if c == 0xE2 and s:byte(p + 1) == 0x80 then
    local d = s:byte(p + 2)
    if d == 0xA8 or d == 0xA9 then return 3 end
  end
  return nil
end

-- Where the line holding byte p ends: the first line end at p or after
-- it, or #s + 1.
local function line_end(s, p)
  while true do
    local q = s:find("[\r\n\226]", p)
    if not q then return #s + 1 end
    if term_len(s, q) then return q end
    p = q + 1
  end
end

-- The positions where a multiline "^" matches: 1 and just after each
-- line end, in order.
local function line_starts(s)
  local out, p = { 1 }, 1
  while p <= #s do
    local q = line_end(s, p)
    if q > #s then break end
    p = q + term_len(s, q)
    out[#out + 1] = p
  end
  -- (a CR LF holds one more, at its LF, where nothing here matches)
  return out
end

local function sdp_text(sdp, who)
  if sdp == nil then return "" end  -- SIP.js: description.sdp || ""
  if type(sdp) ~= "string" then
    error(("siptap.web.%s: the SDP must be a string (got %s)")
          :format(who, type(sdp)), 3)
  end
  return sdp
end

-- Splits on every occurrence of sep (plain text), empty pieces kept, as
-- JavaScript's split with a string or a one-string pattern does.
local function split_plain(s, sep)
  local out, p = {}, 1
  while true do
    local q = s:find(sep, p, true)
    if not q then break end
    out[#out + 1] = s:sub(p, q - 1)
    p = q + #sep
  end
  out[#out + 1] = s:sub(p)
  return out
end

-- Replaces every occurrence of from (plain text) with to, left to right.
local function replace_plain(s, from, to)
  return table.concat(split_plain(s, from), to)
end

-- SIP.js's stripPayload: the SDP is split on CR LF (an SDP with LF line
-- ends is one line, and nothing happens); from the first m=audio or
-- m=video line on, every a=rtpmap line whose encoding name is exactly
-- `name` goes, and its payload type is taken out of the m= line of the
-- audio or video section it came after (an m=application section does
-- not start a section here: its rtpmap lines count for the one before).
local function strip_payload(sdp, name)
  -- SIP.js removes lines from the array as it goes, and notes m= lines
  -- by their index in what is left: the index in `out` here
  local out, descs, cur = {}, {}, nil
  for _, line in ipairs(split_plain(sdp, "\r\n")) do
    local kind, keep = line:sub(1, 7), true
    if kind == "m=audio" or kind == "m=video" then
      cur = { index = #out + 1, stripped = {} }
      descs[#descs + 1] = cur
    elseif cur then
      local pt, enc = line:match("^a=rtpmap:([0-9]+) ([^/]+)/")
      if pt and enc == name then
        cur.stripped[pt] = true
        keep = false
      end
    end
    if keep then out[#out + 1] = line end
  end
  for _, d in ipairs(descs) do
    local words = split_plain(out[d.index], " ")
    local kept = {}
    for j, w in ipairs(words) do
      -- the first three words are media, port and proto, never formats
      if j <= 3 or not d.stripped[w] then kept[#kept + 1] = w end
    end
    out[d.index] = table.concat(kept, " ")
  end
  return table.concat(out, "\r\n")
end

-- A match of / *MID[^ ]*/ at position i of s (JavaScript's greedy " *"
-- giving back spaces until MID follows), or nil: the end of the match.
local function mid_match_at(s, i, mid)
  local spaces = 0
  while s:byte(i + spaces) == 32 do spaces = spaces + 1 end
  for k = spaces, 0, -1 do
    local p = i + k
    if s:sub(p, p + #mid - 1) == mid then
      local e = p + #mid
      while e <= #s and s:byte(e) ~= 32 do e = e + 1 end
      return e - 1
    end
  end
  return nil
end

-- group:replace(/ *MID[^ ]*/g, ""). SIP.js builds that pattern from the
-- mid's text unescaped; here the mid is taken literally (the same for any
-- mid without . * + ? ^ $ | \ ( ) [ ] { }).
local function remove_mid(group, mid)
  local out, i, from = {}, 1, 1
  while true do
    -- the first match starts at the earliest mid from i on, or at the
    -- spaces before it (never before i)
    local q = group:find(mid, i, true)
    if not q then break end
    local p = q
    while p > i and group:byte(p - 1) == 32 do p = p - 1 end
    local e = mid_match_at(group, p, mid)  -- at least spaces, then q
    out[#out + 1] = group:sub(from, p - 1)
    i, from = e + 1, e + 1
  end
  out[#out + 1] = group:sub(from)
  return table.concat(out)
end

-- The mid SIP.js takes out of a removed section: the text after "a=mid:"
-- of its first a=mid line; when that is empty, every a=mid line of the
-- section joined with commas (a JavaScript array turned into a string).
local function section_mid(section)
  local found = {}
  for _, p in ipairs(line_starts(section)) do
    if section:sub(p, p + 5) == "a=mid:" then
      found[#found + 1] = section:sub(p, line_end(section, p) - 1)
    end
  end
  if #found == 0 then return "null" end
  if #found[1] > 6 then return found[1]:sub(7) end
  return table.concat(found, ",")
end

-- SIP.js's stripMediaDescription(sdp, "video").
local function strip_media(sdp, media)
  -- /m=video.*$/m: "m=video" anywhere, even inside a line
  if not sdp:find("m=" .. media, 1, true) then return sdp end
  -- sdp.split(/^m=/m): cut at each "m=" that starts a line
  local sections, from = {}, 1
  for _, p in ipairs(line_starts(sdp)) do
    if sdp:sub(p, p + 1) == "m=" then
      sections[#sections + 1] = sdp:sub(from, p - 1)
      from = p + 2
    end
  end
  sections[#sections + 1] = sdp:sub(from)
  local kept, mid = {}, "undefined"  -- what SIP.js's unset variable prints
  for _, sec in ipairs(sections) do
    if sec:sub(1, #media) == media then
      mid = section_mid(sec)  -- the last removed section's, as in SIP.js
    else
      kept[#kept + 1] = sec
    end
  end
  sdp = table.concat(kept, "m=")
  -- exactly one a=group line: the mid (and what follows it up to a
  -- space) is cut out of it; none or several: left as they are
  local group_at
  for _, p in ipairs(line_starts(sdp)) do
    if sdp:sub(p, p + 7) == "a=group:" then
      if group_at then return sdp end
      group_at = p
    end
  end
  if not group_at then return sdp end
  local e = line_end(sdp, group_at)
  return sdp:sub(1, group_at - 1) .. remove_mid(sdp:sub(group_at, e - 1), mid)
         .. sdp:sub(e)
end

-- The SDP edited at line starts, as a global JavaScript replace with a
-- multiline "^" goes: at each line start p not inside an edit already
-- made, edit(p) may return a, b, text (a >= p): bytes a..b-1 become text.
local function edit_lines(sdp, edit)
  local out, from = {}, 1
  for _, p in ipairs(line_starts(sdp)) do
    if p >= from then
      local a, b, text = edit(p)
      if a then
        out[#out + 1] = sdp:sub(from, a - 1)
        out[#out + 1] = text
        from = b
      end
    end
  end
  out[#out + 1] = sdp:sub(from)
  return table.concat(out)
end

-- A line start p followed by /a=candidate:\d+ \d+ tcp .*?\r\n/i: where
-- the match ends (its LF), or nil. The rest of the line must end in CR
-- LF: a candidate line ended by a bare LF stays.
local function tcp_candidate_end(s, p)
  if s:sub(p, p + 11):lower() ~= "a=candidate:" then return nil end
  local _, e = s:find("^[0-9]+ [0-9]+ [Tt][Cc][Pp] ", p + 12)
  if not e then return nil end
  local q = line_end(s, e + 1)
  if s:sub(q, q + 1) == "\r\n" then return q + 1 end
  return nil
end

-- Removes every a=candidate line of transport TCP (any case).
function M.stripTcpCandidates(sdp, _type)
  sdp = sdp_text(sdp, "stripTcpCandidates")
  return edit_lines(sdp, function(p)
    local e = tcp_candidate_end(sdp, p)
    if e then return p, e + 1, "" end
  end)
end

-- Removes telephone-event (every clock rate) from audio and video
-- sections: its a=rtpmap lines and its payload types in the m= lines.
-- Its a=fmtp lines stay, as in SIP.js.
function M.stripTelephoneEvent(sdp, _type)
  return strip_payload(sdp_text(sdp, "stripTelephoneEvent"), "telephone-event")
end

-- Jitsi's image attributes: in each a=imageattr line the first "x=[0-" or
-- "y=[0-" becomes "x=[1:" or "y=[1:" (one per line).
function M.cleanJitsiSdpImageattr(sdp, _type)
  sdp = sdp_text(sdp, "cleanJitsiSdpImageattr")
  return edit_lines(sdp, function(p)
    if sdp:sub(p, p + 11) ~= "a=imageattr:" then return nil end
    local q = sdp:sub(p + 12, line_end(sdp, p) - 1):find("[xy]=%[0%-")
    if q then
      q = q + p + 11  -- "x=[0-" is at q..q+4 of the SDP
      return q + 3, q + 5, "1:"
    end
  end)
end

-- Removes G722 (by its a=rtpmap name, as strip_payload does: a static
-- payload type 9 without an rtpmap line stays).
function M.stripG722(sdp, _type)
  return strip_payload(sdp_text(sdp, "stripG722"), "G722")
end

-- A modifier that removes the encoding `payload` (its a=rtpmap name,
-- exactly, case included: "PCMU", "opus", "VP8").
function M.stripRtpPayload(payload)
  if type(payload) ~= "string" then
    error(("siptap.web.stripRtpPayload: payload must be an encoding name "
           .. "such as \"PCMU\" (got %s)"):format(type(payload)), 2)
  end
  return function(sdp, _type)
    return strip_payload(sdp_text(sdp, "stripRtpPayload"), payload)
  end
end

-- Removes every video section, and its mid from a single a=group line.
function M.stripVideo(sdp, _type)
  return strip_media(sdp_text(sdp, "stripVideo"), "video")
end

-- When no line starts with "a=mid", adds "a=mid:N" after each m= line, N
-- counting from 0, behind a bare LF (the m= line's own line end follows).
function M.addMidLines(sdp, _type)
  sdp = sdp_text(sdp, "addMidLines")
  for _, p in ipairs(line_starts(sdp)) do
    if sdp:sub(p, p + 4) == "a=mid" then return sdp end
  end
  local n = -1
  return edit_lines(sdp, function(p)
    if sdp:sub(p, p + 1) ~= "m=" then return nil end
    local e = line_end(sdp, p)
    n = n + 1
    return e, e, "\na=mid:" .. n
  end)
end

-- /(m=[^\r]*\r\n)/g: each "m=" (anywhere) through the first CR after it,
-- when an LF follows that CR, gets "a=sendonly\r\n" behind it.
local function add_sendonly(sdp)
  local out, from, pos = {}, 1, 1
  while true do
    local s = sdp:find("m=", pos, true)
    if not s then break end
    local r = sdp:find("\r", s + 2, true)
    if not r then break end  -- no CR after it: none after later ones
    if sdp:byte(r + 1) == 10 then
      out[#out + 1] = sdp:sub(from, r + 1)
      out[#out + 1] = "a=sendonly\r\n"
      from, pos = r + 2, r + 2
    else
      pos = r + 1  -- every "m=" before this CR meets it first: no match
    end
  end
  out[#out + 1] = sdp:sub(from)
  return table.concat(out)
end

-- SIP.js's hold: when the SDP has no a=sendrecv, a=sendonly, a=recvonly or
-- a=inactive anywhere, a=sendonly goes after each m= line; otherwise
-- every "a=sendrecv\r\n" becomes "a=sendonly\r\n" and every
-- "a=recvonly\r\n" "a=inactive\r\n" (session and media level alike; with
-- LF line ends nothing changes). An empty SDP, or a type given that is
-- not a non-empty string, is an error, as in SIP.js ("Invalid SDP"); a
-- missing type is not (siptap's one-argument modifiers get none).
function M.holdModifier(sdp, typ)
  if type(sdp) ~= "string" or sdp == ""
     or (typ ~= nil and (type(typ) ~= "string" or typ == "")) then
    error("siptap.web.holdModifier: Invalid SDP (it needs a non-empty SDP"
          .. " and, when given, a type)", 2)
  end
  for _, d in ipairs{ "sendrecv", "sendonly", "recvonly", "inactive" } do
    if sdp:find("a=" .. d, 1, true) then
      sdp = replace_plain(sdp, "a=sendrecv\r\n", "a=sendonly\r\n")
      return replace_plain(sdp, "a=recvonly\r\n", "a=inactive\r\n")
    end
  end
  return add_sendonly(sdp)
end

return M
