-- siptap.checkers.message: the checkers of every message as bytes, the
-- way it came on the wire: conformance-next.md P-WIRE-1 (RFC 3261 7,
-- 25.1). Its rules:
--
--   P-WIRE-1  every message the peer under test sent is well-formed SIP
--
-- P-WIRE-1 is a rule of the whole wire, not of one call: a message
-- siptap could not decode belongs to no call. Its checker is
-- function(w, ctx) -> violations, checked, with w = { wire = t:wire(),
-- calls = the calls } (siptap.rules calls it once a test).
--
-- What the peer under test sent: every message siptap's UAC received,
-- and every message siptap's UAS sent (the reference UAS's own, or in
-- remote mode the remote UAS's as the UAC saw it), each distinct byte
-- string once. The scenario's hostile peer (t:peer()) sends broken bytes
-- on purpose: its messages count only with ctx.peer (a scenario that
-- lets the peer stand in for a UAS: rules.check(t, {"P-WIRE-1"},
-- { peer = true })).
--
-- Over WebSocket (WS, WSS) a message without Content-Length is
-- well-formed: the frame says where it ends (RFC 7118 5.1).
--
-- Folded header lines (a line that starts with a space or a tab goes on
-- with the header above) are allowed: RFC 3261 7.3.1 and its LWS rule
-- (25.1) still have them. Line 2 may not be one: there is no header to
-- go on with. Line numbers count the start line as line 1.

local W = require "siptap.checkers.wire"

local rules, rule = W.family()

local TOKEN = "^[%w%-%.!%%%*_%+`'~]+$"

-- A line of the message for a reason: at most 60 bytes, the bytes that
-- are not printable ASCII as \xNN.
local function show(s)
  local cut = #s > 60
  s = s:sub(1, 60):gsub("[^\32-\126]", function(ch)
    return ("\\x%02x"):format(ch:byte())
  end)
  return "'" .. s .. (cut and "..." or "") .. "'"
end

-- The lines of the head (CR LF taken off), the body, or nil and why.
local function split(raw)
  local lines, pos = {}, 1
  while true do
    local nl = raw:find("\n", pos, true)
    if not nl then
      return nil, "the head has no empty line at its end"
    end
    local line = raw:sub(pos, nl - 1)
    local n = #lines + 1
    if line:sub(-1) ~= "\r" then
      return nil, ("line %d ends with a bare LF, not CR LF: %s"):format(
        n, show(line))
    end
    line = line:sub(1, -2)
    if line:find("\r", 1, true) then
      return nil, ("line %d holds a bare CR: %s"):format(n, show(line))
    end
    pos = nl + 1
    if line == "" and n > 1 then return lines, raw:sub(pos) end
    lines[n] = line
  end
end

local function start_line(s)
  local method = s:match("^([^ ]+) [^ ]+ SIP/2%.0$")
  if method then
    return method:match(TOKEN) and true or
      "the method is no token: " .. show(s)
  end
  if s:match("^SIP/2%.0 %d%d%d ") then return true end
  if s:match("^SIP/") then
    return "the status line is not 'SIP/2.0 NNN reason': " .. show(s)
  end
  if s:match(" SIP/[%d.]+$") then
    return "the request line does not end in SIP/2.0: " .. show(s)
  end
  return "the start line is no SIP request or status line: " .. show(s)
end

-- What is wrong with the message m, or nil.
local function problem(m)
  -- the common case, decided in C with plain scans (l_msg.c's
  -- well_formed: the same tests as below, checked against them over
  -- mutated messages); only a message it doubts is read line by line
  -- here, to say what is wrong
  if m.well_formed then return nil end
  if m.undecodable then
    return "siptap could not decode it: " .. m.reason
  end
  local lines, body = split(m.raw)
  if not lines then return body end
  local ok = start_line(lines[1])
  if ok ~= true then return ok end
  local lengths = {}
  for i = 2, #lines do
    local l = lines[i]
    if l:match("^[ \t]") then
      if i == 2 then
        return "header line 2 starts with white space, and there is no "
          .. "header above it to fold: " .. show(l)
      end
    else
      local name, value = l:match("^([^:]*):(.*)$")
      if not name then
        return ("header line %d has no colon: %s"):format(i, show(l))
      end
      name = name:gsub("[ \t]+$", "")
      if not name:match(TOKEN) then
        return ("header line %d has a name that is no token: %s"):format(
          i, show(l))
      end
      local lname = name:lower()
      if lname == "content-length" or lname == "l" then
        lengths[#lengths + 1] = W.trim(value)
      end
    end
  end
  if #lengths == 0 then
    -- a WebSocket message is one SIP message: Content-Length is optional
    -- there, and right when present (RFC 7118 5.1)
    if m.transport ~= "UDP" and m.transport ~= "WS" and
       m.transport ~= "WSS" then
      return "no Content-Length over " .. m.transport .. ", where a "
        .. "message over a stream must have one (RFC 3261 18.3, 20.14)"
    end
    return nil
  end
  for i_ = 1, #lengths do
    local v = lengths[i_]
    if not v:match("^%d+$") then
      return "Content-Length is " .. show(v) .. ", not a number"
    end
    if tonumber(v) ~= #body then
      return ("Content-Length is %s, the body has %d bytes"):format(
        v, #body)
    end
  end
  return nil
end

-- The source addresses of the scenario's hostile peer.
local function hostile(wire)
  local src = {}
  for i_ = 1, #wire do
    local m = wire[i_]
    if m.role == "peer" and m.sent then src[m.src] = true end
  end
  return src
end

-- What peer_sent found for a wire, without ctx.peer: siptap.rules asks
-- it first (a broken stream?), P-WIRE-1 again. Weak keys: it goes with
-- the wire. A list kept is shared: read it, never change it.
local kept = setmetatable({}, { __mode = "k" })

-- The messages of the peer under test on the wire, each byte string
-- once (a retransmission, and the UAS's copy of what the UAC got, are
-- the same bytes).
function W.peer_sent(wire, ctx)
  if not ctx.peer and kept[wire] then return kept[wire] end
  -- the bytes seen, by length: compared, not hashed (a table key of a
  -- long string hashes every byte of it); past 8 of one length (a peer
  -- sending many), a set of them
  local out, by_len, from_peer = {}, {}, hostile(wire)
  -- no hostile peer (most tests): no source address to read
  local anyone = ctx.peer or next(from_peer) == nil
  -- every message numbered by its bytes (t:wire()'s bytes_of, the same
  -- number exactly for the same bytes): told apart by it, no copy of
  -- its bytes made
  local by_bytes = {}
  for i_ = 1, #wire do
    local m = wire[i_]
    if not m.bytes_of then
      by_bytes = nil
      break
    end
  end
  for i_ = 1, #wire do
    local m = wire[i_]
    local theirs = (m.role == "uac" and not m.sent) or
                   (m.role == "uas" and m.sent)
    if not (theirs and (anyone or not from_peer[m.src])) then
      -- (not the peer's)
    elseif by_bytes then
      local b = m.bytes_of
      if not by_bytes[b] then
        by_bytes[b] = true
        out[#out + 1] = m
      end
    else
      local raw = m.raw
      local same = by_len[#raw]
      local seen = false
      if same and same.set then
        seen = same.set[raw] ~= nil
      elseif same then
        for i = 1, #same do
          if same[i] == raw then
            seen = true
            break
          end
        end
      end
      if not seen then
        if not same then
          by_len[#raw] = { raw }
        elseif same.set then
          same.set[raw] = true
        elseif #same < 8 then
          same[#same + 1] = raw
        else
          local set = { [raw] = true }
          for i = 1, #same do set[same[i]] = true end
          same.set = set
        end
        out[#out + 1] = m
      end
    end
  end
  if not ctx.peer then kept[wire] = out end
  return out
end

rule("P-WIRE-1", "every message of the peer under test is well-formed SIP",
function(w, ctx)
  local v, n = {}, 0
  local list_ = W.peer_sent(w.wire, ctx)
  for i_ = 1, #list_ do
    local m = list_[i_]
    n = n + 1
    local why = problem(m)
    if why then
      if SIPTAP.proxy and m.role == "uac" then
        why = why .. " (as the UAC got it through the proxy)"
      end
      local what = m.undecodable and "a message" or m.status and
        tostring(m.status) or m.method or "a message"
      v[#v + 1] = { msg = m, why = ("%s from %s (#%d): %s"):format(
                    what, m.src, m.seq, why) }
    end
  end
  return v, n
end, "wire")

return rules
