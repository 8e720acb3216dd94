-- siptap.sdp: reading session descriptions and the modifiers that
-- sessionDescriptionHandlerModifiers take (functions from SDP to SDP).
--
--   local sdp = require "siptap.sdp"
--   inv:progress{ sessionDescriptionHandlerModifiers = {
--     sdp.remove_codec("PCMA"), sdp.set_direction("sendonly") } }
--   t:is(sdp.direction(r.body), "sendonly")
--   local ok, why = sdp.check(r.body)  -- RFC 8866 9, each problem's line
--   local d = sdp.parse(r.body)        -- origin, media, problems
--   local parse = sdp.reader()         -- the same, results kept

local M = {}

-- The lines of an SDP, without their line ends.
local function lines(sdp)
  local out = {}
  for line in sdp:gmatch("([^\r\n]*)\r?\n") do
    out[#out + 1] = line
  end
  return out
end

local function join(ls)
  return table.concat(ls, "\r\n") .. "\r\n"
end

-- Payload type -> encoding name, from a=rtpmap and the static types.
local static = { ["0"] = "PCMU", ["8"] = "PCMA", ["9"] = "G722",
                 ["18"] = "G729", ["3"] = "GSM", ["4"] = "G723" }

local function rtpmap(ls)
  local map = {}
  for _, l in ipairs(ls) do
    local pt, name = l:match("^a=rtpmap:(%d+) ([^/]+)/")
    if pt then map[pt] = name end
  end
  return map
end

-- The payload types of the first m= line, in order.
function M.payloads(sdp)
  for _, l in ipairs(lines(sdp)) do
    local fmts = l:match("^m=%S+ %S+ %S+ (.*)$")
    if fmts then
      local pts = {}
      for pt in fmts:gmatch("%S+") do pts[#pts + 1] = pt end
      return pts
    end
  end
  return {}
end

-- Encoding names of the first m= line, in order ("PCMU", "opus", ...).
function M.codecs(sdp)
  local map = rtpmap(lines(sdp))
  local names = {}
  for _, pt in ipairs(M.payloads(sdp)) do
    names[#names + 1] = map[pt] or static[pt] or pt
  end
  return names
end

function M.has_codec(sdp, name)
  for _, c in ipairs(M.codecs(sdp)) do
    if c:lower() == name:lower() then return true end
  end
  return false
end

-- sendrecv, sendonly, recvonly or inactive (media level first).
function M.direction(sdp)
  local session, media, in_media = nil, nil, false
  for _, l in ipairs(lines(sdp)) do
    if l:match("^m=") then in_media = true end
    local d = l:match("^a=(%a+)$")
    if d == "sendrecv" or d == "sendonly" or d == "recvonly"
       or d == "inactive" then
      if in_media then media = media or d else session = d end
    end
  end
  return media or session or "sendrecv"
end

-- A modifier that removes a codec from the m= line, with its rtpmap and
-- fmtp lines.
function M.remove_codec(name)
  return function(sdp)
    local ls = lines(sdp)
    local map = rtpmap(ls)
    local drop = {}
    for pt, n in pairs(map) do
      if n:lower() == name:lower() then drop[pt] = true end
    end
    for pt, n in pairs(static) do
      if n:lower() == name:lower() then drop[pt] = true end
    end
    local out = {}
    for _, l in ipairs(ls) do
      local head, fmts = l:match("^(m=%S+ %S+ %S+) (.*)$")
      local attr_pt = l:match("^a=rtpmap:(%d+) ") or l:match("^a=fmtp:(%d+) ")
      if head then
        local keep = {}
        for pt in fmts:gmatch("%S+") do
          if not drop[pt] then keep[#keep + 1] = pt end
        end
        out[#out + 1] = head .. " " .. table.concat(keep, " ")
      elseif not (attr_pt and drop[attr_pt]) then
        out[#out + 1] = l
      end
    end
    return join(out)
  end
end

-- A modifier that sets the direction attribute of every media section.
function M.set_direction(dir)
  assert(dir == "sendrecv" or dir == "sendonly" or dir == "recvonly"
         or dir == "inactive", "set_direction: unknown direction " ..
         tostring(dir))
  return function(sdp)
    local out, in_media, done = {}, false, false
    local function close_media()
      if in_media and not done then out[#out + 1] = "a=" .. dir end
    end
    for _, l in ipairs(lines(sdp)) do
      local d = l:match("^a=(%a+)$")
      local is_dir = d == "sendrecv" or d == "sendonly" or d == "recvonly"
                     or d == "inactive"
      if l:match("^m=") then
        close_media()
        in_media, done = true, false
        out[#out + 1] = l
      elseif is_dir then
        if in_media then
          out[#out + 1] = "a=" .. dir
          done = true
        end
      else
        out[#out + 1] = l
      end
    end
    close_media()
    return join(out)
  end
end

---------------------------------------------------------------------------
-- The grammar of RFC 8866 section 9 (S-FMT-1), and the parts of an SDP
-- the offer/answer rules compare (S-OA-1, S-OA-2, S-VER-1)
---------------------------------------------------------------------------

-- token-char of RFC 8866 9: %x21 / %x23-27 / %x2A-2B / %x2D-2E /
-- %x30-39 / %x41-5A / %x5E-7E
local TOKEN = "^[!#$%%&'*+%-.0-9A-Z^_`a-z{|}~]+$"

local function is_token(s) return s:find(TOKEN) ~= nil end

local DIRS = { sendrecv = true, sendonly = true, recvonly = true,
               inactive = true }

-- The line as a problem shows it: quoted, control bytes escaped, long
-- ones cut.
local function show(line)
  local s = line:gsub("[%c\"\\]", function(ch)
    return ("\\x%02X"):format(ch:byte())
  end)
  if #s > 72 then s = s:sub(1, 69) .. "..." end
  return '"' .. s .. '"'
end

local function ipv4(s)
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  for _, x in ipairs{ a, b, c, d } do
    if #x > 3 or tonumber(x) > 255 then return nil end
  end
  return tonumber(a)
end

-- IPv6 text (RFC 4291 2.2): hex groups of up to 4 digits, at most one
-- "::", an IPv4 tail allowed.
local function ipv6(s)
  if not s:find(":") or s:find(":::") then return false end
  local head, tail = s:match("^(.*:)(%d+%.%d+%.%d+%.%d+)$")
  local groups = 0
  if head then
    if not ipv4(tail) then return false end
    s, groups = head .. "0", 1
  end
  local _, dc = s:gsub("::", "")
  if dc > 1 then return false end
  for g in (s .. ":"):gmatch("([^:]*):") do
    if g ~= "" then
      if not g:find("^%x%x?%x?%x?$") then return false end
      groups = groups + 1
    end
  end
  if dc == 1 then return groups < 8 end
  return groups == 8 and not s:find("^:") and not s:find(":$")
end

-- FQDN of RFC 8866 9: 4*(alpha-numeric / "-" / "."), and a name, not a
-- mistyped address
local function fqdn(s)
  return #s >= 4 and s:find("^[%w%-%.]+$") ~= nil and s:find("%a") ~= nil
         and not s:find("^%x*:")
end

-- An address that is no literal of its own family (want: "IPv4" or
-- "IPv6"): a literal of the other one is wrong, a domain name is fine
-- (RFC 8866 9: FQDN) if it has no /suffix.
local function name_problem(addr, base, rest, want, other, is_other)
  if is_other(base) then
    return ("address %s is %s, addrtype IP%s"):format(addr, other,
                                                     want:sub(-1))
  end
  if not fqdn(base) then
    return ("address %s is neither %s nor a domain name"):format(addr, want)
  end
  if rest ~= "" then return "address " .. addr .. " has a /suffix" end
end

-- IP4: unicast, or (multicast_ok) 224-239 with /ttl[/number]
local function ip4_problem(addr, base, rest, multicast_ok)
  local first = ipv4(base)
  if not first then
    return name_problem(addr, base, rest, "IPv4", "IPv6", ipv6)
  end
  if first < 224 or first > 239 then
    if rest ~= "" then return "unicast address " .. addr .. " has a /suffix" end
    return nil
  end
  if not multicast_ok then
    return "multicast address " .. addr .. " where unicast is required"
  end
  local ttl, num = rest:match("^/(%d+)(.*)$")
  if not ttl or tonumber(ttl) > 255 then
    return "IPv4 multicast " .. addr .. " needs /ttl (0..255)"
  end
  if num ~= "" and not num:find("^/[1-9]%d*$") then
    return "IPv4 multicast " .. addr .. ": bad /number of addresses"
  end
end

-- IP6: unicast, or (multicast_ok) ff.. with an optional /number
local function ip6_problem(addr, base, rest, multicast_ok)
  if not ipv6(base) then
    return name_problem(addr, base, rest, "IPv6", "IPv4", ipv4)
  end
  if rest == "" then return nil end
  if not multicast_ok or not base:lower():find("^ff") then
    return "unicast address " .. addr .. " has a /suffix"
  end
  if not rest:find("^/[1-9]%d*$") then
    return "IPv6 multicast " .. addr .. ": bad /number of addresses"
  end
end

-- An address of addrtype (unicast-address; c= may be multicast).
-- Returns nil, or what is wrong.
local function read_address(addrtype, addr, multicast_ok)
  local base, rest = addr:match("^([^/]*)(.*)$")
  if addrtype == "IP4" then
    return ip4_problem(addr, base, rest, multicast_ok)
  elseif addrtype == "IP6" then
    return ip6_problem(addr, base, rest, multicast_ok)
  end
  return "addrtype " .. addrtype .. ", wanted IP4 or IP6"
end

-- (its answers kept: a function of its arguments alone, and every SDP
-- siptap's UAC and UAS send names 127.0.0.1 or ::1 twice; the last 64
-- at most, by addrtype, then address: one table for unicast, one for
-- where multicast is allowed)
local addr_uni, addr_multi, addr_n = {}, {}, 0

local function address_problem(addrtype, addr, multicast_ok)
  local by = multicast_ok and addr_multi or addr_uni
  local of = by[addrtype]
  local v = of and of[addr]
  if v ~= nil then return v or nil end
  v = read_address(addrtype, addr, multicast_ok)
  if addr_n >= 64 then
    addr_uni, addr_multi, addr_n = {}, {}, 0
    by = multicast_ok and addr_multi or addr_uni
    of = nil
  end
  if not of then
    of = {}
    by[addrtype] = of
  end
  of[addr] = v or false
  addr_n = addr_n + 1
  return v
end

-- Fields of a value split at single spaces (the grammar's SP); an
-- empty field is two spaces in a row, or one at an end.
local function fields(v)
  -- (plain finds: every o= and c= line of every SDP read comes here)
  local out, n, pos = {}, 0, 1
  local find, sub = string.find, string.sub
  while true do
    local sp = find(v, " ", pos, true)
    n = n + 1
    if not sp then
      out[n] = sub(v, pos)
      return out
    end
    out[n] = sub(v, pos, sp - 1)
    pos = sp + 1
  end
end

local function has_empty(fs)
  for _, f in ipairs(fs) do
    if f == "" then return true end
  end
  return false
end

local function time_ok(s)   -- time = POS-DIGIT 9*DIGIT / "0"
  return s == "0" or s:find("^[1-9]%d%d%d%d%d%d%d%d%d+$") ~= nil
end

local function typed_time_ok(s)
  return s:find("^%d+[dhms]?$") ~= nil
end

local function is_rtp(proto)
  return proto ~= nil and proto:find("RTP/") ~= nil
end

-- Checks of one field's value: return nil, or what is wrong.
local value = {}

function value.v(v)
  if v ~= "0" then return "version " .. v .. ", wanted 0" end
end

-- o=: its six fields, each checked (username sess-id sess-version
-- nettype addrtype unicast-address).
local function origin_fields(v, d)
  local fs = fields(v)
  if #fs ~= 6 or has_empty(fs) then
    return ("%d field(s), wanted 6 (username sess-id sess-version nettype " ..
            "addrtype unicast-address) separated by one space"):format(#fs)
  end
  d.origin = { user = fs[1], id = fs[2], version = fs[3], nettype = fs[4],
               addrtype = fs[5], addr = fs[6] }
  if not fs[2]:find("^%d+$") then
    return "sess-id " .. fs[2] .. " is not a number"
  end
  if not fs[3]:find("^%d+$") then
    return "sess-version " .. fs[3] .. " is not a number"
  end
  if fs[4] ~= "IN" then return "nettype " .. fs[4] .. ", wanted IN" end
  return address_problem(fs[5], fs[6], false)
end

-- The common o= value in one match: six fields, one space apart, none
-- empty, numbers for sess-id and sess-version, nettype IN. What
-- origin_fields finds of such a value is its address's problem alone,
-- after six strings and a table made (every SDP the rules read comes
-- here, its o= value new in every call: 5.7 to 2.5 us, os.clock over
-- 3,000 SDPs in a scenario).
local O_LINE = "^([^ ]+) (%d+) (%d+) IN ([^ ]+) ([^ ]+)$"

function value.o(v, d)
  local user, id, version, addrtype, addr = v:match(O_LINE)
  if not user then return origin_fields(v, d) end
  d.origin = { user = user, id = id, version = version, nettype = "IN",
               addrtype = addrtype, addr = addr }
  return address_problem(addrtype, addr, false)
end

local function text(name)
  return function(v)
    if v == "" then return name .. " is empty" end
  end
end
value.s = text("the session name")
value.i = text("the information")
value.u = text("the URI")
value.e = text("the email address")
value.p = text("the phone number")

function value.c(v, d, media)
  -- there, if wrong: "no c= line" would not be what is wrong
  if media then media.has_c = true else d.has_c = true end
  local fs = fields(v)
  if #fs ~= 3 or has_empty(fs) then
    return ("%d field(s), wanted 3 (nettype addrtype connection-address) " ..
            "separated by one space"):format(#fs)
  end
  if fs[1] ~= "IN" then return "nettype " .. fs[1] .. ", wanted IN" end
  return address_problem(fs[2], fs[3], true)
end

function value.b(v)
  local t, bw = v:match("^([^:]*):(.*)$")
  if not t or not is_token(t) then
    return "not <bwtype>:<bandwidth> with a token bwtype"
  end
  if not bw:find("^%d+$") then
    return "bandwidth " .. bw .. " is not a number"
  end
end

function value.t(v)
  local fs = fields(v)
  if #fs ~= 2 or has_empty(fs) then
    return ("%d field(s), wanted 2 (start-time stop-time)"):format(#fs)
  end
  for _, f in ipairs(fs) do
    if not time_ok(f) then
      return "time " .. f .. " is neither 0 nor an NTP time (10 digits " ..
             "or more)"
    end
  end
end

function value.r(v)
  local fs = fields(v)
  if #fs < 3 or has_empty(fs) then
    return "wanted repeat-interval active-duration offset..."
  end
  if not fs[1]:find("^[1-9]%d*[dhms]?$") then
    return "repeat interval " .. fs[1] .. " is not a positive time"
  end
  for i = 2, #fs do
    if not typed_time_ok(fs[i]) then return "time " .. fs[i] .. " is bad" end
  end
end

function value.z(v)
  local fs = fields(v)
  if #fs < 2 or #fs % 2 ~= 0 or has_empty(fs) then
    return "wanted pairs of <adjustment time> <offset>"
  end
  for i = 1, #fs, 2 do
    if not time_ok(fs[i]) then return "time " .. fs[i] .. " is bad" end
    if not typed_time_ok((fs[i + 1]:gsub("^%-", ""))) then
      return "offset " .. fs[i + 1] .. " is bad"
    end
  end
end

function value.k(v)
  if v ~= "prompt" and not v:find("^[%w%-]+:.") then
    return "key " .. v .. " is not prompt, clear:, base64: or uri:"
  end
end

-- a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>]
local function rtpmap_value(v, media)
  local pt, name, clock, rest = v:match("^(%d+) ([^/ ]+)/(%d+)(.*)$")
  if not pt or not is_token(name) or not (rest == "" or
     rest:find("^/[^ ]+$")) then
    return "rtpmap " .. v .. " is not <payload type> <encoding>/<clock>" ..
           "[/<parameters>]"
  end
  if media then
    media.rtpmap[pt] = { name = name:lower(), shown = name, clock = clock,
                         ch = rest ~= "" and rest:sub(2) or "1" }
  end
end

function value.a(v, d, media)
  local name, colon, val = v:match("^([^:]*)(:?)(.*)$")
  if name == "" or not is_token(name) then
    return "attribute name " .. name .. " is not a token"
  end
  if DIRS[name] then
    if colon ~= "" then return name .. " takes no value" end
    if media then media.dir = media.dir or name else d.dir = d.dir or name end
  elseif name == "rtpmap" then
    return rtpmap_value(val, media)
  elseif name == "bundle-only" and media then
    -- RFC 8843 6: port 0 then means "only if bundled", not removed
    media.bundle_only = true
  end
end

function value.m(v, d, media)
  local fs = fields(v)
  media.type, media.port_text, media.proto = fs[1], fs[2], fs[3]
  media.fmts = {}
  for i = 4, #fs do media.fmts[#media.fmts + 1] = fs[i] end
  media.port = fs[2] and fs[2]:match("^(%d+)") and
               tonumber(fs[2]:match("^(%d+)"))
  if #fs < 4 or has_empty(fs) then
    return ("%d field(s), wanted media port proto fmt... (at least one " ..
            "format) separated by one space"):format(#fs)
  end
  if not is_token(fs[1]) then return "media " .. fs[1] .. " is not a token" end
  local port, count = fs[2]:match("^(%d+)(.*)$")
  if not port or tonumber(port) > 65535 or
     not (count == "" or count:find("^/[1-9]%d*$")) then
    media.port = nil
    return "port " .. fs[2] .. " is not a number 0..65535[/count]"
  end
  local ok = true
  for p in (fs[3] .. "/"):gmatch("([^/]*)/") do
    ok = ok and p ~= "" and is_token(p)
  end
  if not ok then return "proto " .. fs[3] .. " is not token[/token...]" end
  for i = 4, #fs do
    if not is_token(fs[i]) then return "format " .. fs[i] .. " is not a token" end
    if is_rtp(fs[3]) and not (fs[i]:find("^%d+$") and tonumber(fs[i]) < 128)
    then
      return "format " .. fs[i] .. " is not an RTP payload type 0..127"
    end
  end
end

-- Where each field may stand (RFC 8866 9): session fields by rank, the
-- ones that may repeat, and the media section's.
local SESSION_RANK = { v = 1, o = 2, s = 3, i = 4, u = 5, e = 6, p = 7,
                       c = 8, b = 9, t = 10, r = 10, z = 11, k = 12, a = 13 }
local MEDIA_RANK = { i = 1, c = 2, b = 3, k = 4, a = 5 }
local REPEATS = { e = true, p = true, b = true, t = true, r = true,
                  a = true, c = true }
local ORDER = "v o s i? u? e* p* c? b* t+ r* z? k? a*, then per media " ..
              "m i? c* b* k? a*"

-- One line's place: nil, or what is wrong. st: { rank, seen, media,
-- last } over the lines so far.
local function place(st, k)
  if k == "m" then
    st.media_rank, st.seen_media = 0, {}
    return nil
  end
  if st.in_media then
    local rank = MEDIA_RANK[k]
    if not rank then
      return k .. "= is not allowed in a media section (" .. ORDER .. ")"
    end
    if rank < st.media_rank then
      return k .. "= out of order in the media section (" .. ORDER .. ")"
    end
    if st.seen_media[k] and k ~= "c" and k ~= "b" and k ~= "a" then
      return "a second " .. k .. "= in the media section"
    end
    st.media_rank, st.seen_media[k] = rank, true
    return nil
  end
  local rank = SESSION_RANK[k]
  if k == "r" and st.last ~= "t" and st.last ~= "r" then
    return "r= does not follow a t= line"
  end
  if rank < st.rank then
    return k .. "= out of order (" .. ORDER .. ")"
  end
  if st.seen[k] and not REPEATS[k] then return "a second " .. k .. "= line" end
  if k == "c" and st.seen.c then return "a second session-level c= line" end
  st.rank, st.seen[k] = rank, true
  return nil
end

local KNOWN = "vosiuepcbtrzkam"
local LF = "ends in LF without CR"

-- Parses an SDP: { problems = { "line N ...: what", ... }, origin =
-- {user, id, version, nettype, addrtype, addr}, dir = session-level
-- direction or nil, media = { { line = N, text, type, port (nil if not a
-- number), proto, fmts, dir, rtpmap = { pt = {name, clock, ch} },
-- has_c } } }. Lenient where it can be: a field that breaks the grammar
-- is still read as far as it goes, for the other rules.
-- With cut, the value of the first o= line is not read (the SDP is a
-- key of with_origin, below): d.cut = { at = where in problems that
-- line's problem goes, n = its number, wrong = what its place breaks },
-- d.loop = how many problems the lines made (the rest follow them).
local function parse(sdp, cut)
  local d = { problems = {}, media = {} }
  local st = { rank = 0, seen = {}, in_media = false }
  local present, lfs = {}, 0
  local function problem(n, line, what)
    -- a body of bad lines says enough with its first hundred
    if #d.problems < 100 then
      d.problems[#d.problems + 1] = ("line %d %s: %s"):format(n,
                                                              show(line), what)
    end
  end
  local pos, n, len = 1, 0, #sdp
  local media
  while pos <= len do
    local e = sdp:find("\n", pos, true)
    local line = sdp:sub(pos, (e or len + 1) - 1)
    n = n + 1
    local ending
    if not e then
      ending = "the last line has no CRLF line end"
    elseif line:sub(-1) ~= "\r" then
      ending = LF
    else
      line = line:sub(1, -2)
    end
    pos = (e or len) + 1
    local k, v = line:match("^(%a)=(.*)$")
    if ending == LF then
      lfs = lfs + 1
      if lfs > 1 then ending = nil end
    end
    if ending then problem(n, line, ending) end
    if line == "" then
      problem(n, line, "an empty line")
    elseif line:find("[\0\r]") then
      problem(n, line, "a NUL or CR byte inside the line")
    elseif not k then
      problem(n, line, "not a <type>=<value> line")
    elseif not k:find("%l") or not KNOWN:find(k, 1, true) then
      problem(n, line, "type " .. k .. "= is not one of " ..
              "v o s i u e p c b t r z k a m")
    else
      if n == 1 and k ~= "v" then problem(n, line, "the first line is not v=") end
      local wrong = place(st, k)
      if k == "m" then
        st.in_media = true
        media = { line = n, text = line, rtpmap = {} }
        d.media[#d.media + 1] = media
      end
      st.last, present[k] = k, true
      if cut and k == "o" and not d.cut then
        d.cut = { at = #d.problems + 1, n = n, wrong = wrong }
      else
        -- read even when out of place: the other rules want what it says
        local bad = value[k](v, d, media)
        wrong = wrong or bad
        if wrong then problem(n, line, wrong) end
      end
    end
  end
  if cut then d.loop = #d.problems end
  if lfs > 1 then
    d.problems[#d.problems + 1] = ("%d more lines end in LF without CR")
                                  :format(lfs - 1)
  end
  for _, k in ipairs{ "v", "o", "s", "t" } do
    if not present[k] then
      d.problems[#d.problems + 1] = "no " .. k .. "= line"
    end
  end
  for _, m in ipairs(d.media) do
    if not d.has_c and not m.has_c then
      d.problems[#d.problems + 1] = ("line %d %s: no c= line in this " ..
        "media section and none at session level"):format(m.line,
        show(m.text))
    end
    if is_rtp(m.proto) then
      for _, pt in ipairs(m.fmts) do
        local num = tonumber(pt)
        if num and num >= 96 and num <= 127 and not m.rtpmap[pt] then
          d.problems[#d.problems + 1] = ("line %d %s: dynamic payload " ..
            "type %s has no a=rtpmap in its media section"):format(m.line,
            show(m.text), pt)
        end
      end
    end
  end
  return d
end

-- fn over an SDP string, its last results kept: a check reads the same
-- bodies many times (retransmissions, the 2xx repeating the answer, the
-- rules of one call asking the same of them). Small ones only, and few:
-- the results live as long as the test's Lua state, under its memory
-- limit. A result kept is shared: read it, never change it.
-- In two generations of `most` (16 unless said): a full one becomes the
-- old one, and the old one before it goes; a result found in the old
-- one is kept in the new. So the last `most` SDPs asked are always
-- there (one generation emptied when full kept none of them then).
local function kept(fn, most)
  most = most or 16
  local new, old, n = {}, {}, 0
  return function(sdp)
    local v = new[sdp]
    if v ~= nil then return v end
    v = old[sdp]
    if v == nil then v = fn(sdp) end
    if type(sdp) == "string" and #sdp <= 4096 then
      if n >= most then old, new, n = new, {}, 0 end
      new[sdp], n = v, n + 1
    end
    return v
  end
end

-- An SDP without the value of its first o= line, and that value; nil
-- when that line is not a clean "o=<value>" CR LF line (no NUL, no CR
-- in it: parse would read it as a line of another kind) after the
-- first (a first line not v= is a problem that shows the line).
-- Returned as the part before the value (up to "o="), the value, and
-- the part after it (from its CR LF on).
local function split_origin(sdp)
  if sdp:sub(1, 2) == "o=" then return nil end
  local i = sdp:find("\no=", 1, true)
  if not i then return nil end
  i = i + 3
  local e = sdp:find("\n", i, true)
  if not e or e - 1 < i or sdp:byte(e - 1) ~= 13 then return nil end
  local v = sdp:sub(i, e - 2)
  if v:find("[\0\r]") then return nil end
  return sdp:sub(1, i - 1), v, sdp:sub(e - 1)
end

-- The SDPs seen last by their shape: the parts before and after the
-- o= value (split_origin), shared by every SDP that differs from
-- another only there (siptap's UAC and UAS send the same SDP in every
-- call but for libre's random session id). An SDP of a shape seen is
-- told by two plain finds, without a copy of it made: { pre =, post =,
-- key = pre .. post, content = sdp.content's }. The last 16, at most
-- 4 KB each (the test's Lua state holds them).
local shapes, nshapes = {}, 0

-- The shape of sdp and its o= value, or nil (no clean o= line).
local function shape_of(sdp)
  local len = #sdp
  for k = nshapes, 1, -1 do
    local sh = shapes[k]
    local pre, post = sh.pre, sh.post
    local a = len - #post + 1   -- where post would start
    if a > #pre and sdp:find(pre, 1, true) == 1 and
       sdp:find(post, a, true) == a then
      -- pre ends with the first "\no=" (none before it), post starts
      -- with the value's CR LF: the value is what is between, when it
      -- holds no line end (else its line ends earlier) nor NUL
      local v = sdp:sub(#pre + 1, a - 1)
      -- (three plain scans: a class tried at every byte cost more)
      if not (v:find("\r", 1, true) or v:find("\n", 1, true) or
              v:find("\0", 1, true)) then
        return sh, v
      end
    end
  end
  if len > 4096 then return nil end
  local pre, v, post = split_origin(sdp)
  if not pre then return nil end
  if nshapes >= 16 then shapes, nshapes = {}, 0 end
  local sh = { pre = pre, post = post, key = pre .. post }
  nshapes = nshapes + 1
  shapes[nshapes] = sh
  return sh, v
end

-- The parse of an SDP from the parse of its key (parse(key, true)) and
-- its o= value: what the o= line says and breaks put back where parse
-- would have put it, among the first hundred problems of the lines.
local function with_origin(base, v)
  local d = { media = base.media, dir = base.dir, has_c = base.has_c,
              problems = base.problems }
  local c = base.cut
  local wrong = c.wrong
  local bad = value.o(v, d)
  -- a second o= line of 6 fields is the origin parse gives
  if base.origin then d.origin = base.origin end
  wrong = wrong or bad
  if not wrong or c.at > 100 then return d end
  local from, ps = base.problems, {}
  for i = 1, c.at - 1 do ps[i] = from[i] end
  ps[c.at] = ("line %d %s: %s"):format(c.n, show("o=" .. v), wrong)
  for i = c.at, math.min(base.loop, 99) do ps[i + 1] = from[i] end
  for i = base.loop + 1, #from do ps[#ps + 1] = from[i] end
  d.problems = ps
  return d
end

-- A parse whose results are kept, for the rules (siptap.checkers.sdp):
-- siptap's UAC and UAS send the same SDP in every call but for the o=
-- line (libre's session id is random), so the parse of the SDP without
-- it (its shape's key) is kept (parse is a function of the text alone)
-- and the o= line is read on its own. Its own caches, bounded (16 keys,
-- 16 SDPs, 4 KB each); what it returns is shared with every later
-- caller of this reader: read it, never change it (sdp.parse gives a
-- copy of one's own).
-- (by_shape: the same without the last SDPs kept, for a caller that
-- keeps its own results by SDP)
local function by_shape()
  local bases, n = {}, 0
  return function(sdp)
    if type(sdp) ~= "string" or #sdp > 4096 then return parse(sdp) end
    local sh, v = shape_of(sdp)
    if not sh then return parse(sdp) end
    local key = sh.key
    local base = bases[key]
    if not base then
      base = parse(key, true)
      if not base.cut then return parse(sdp) end
      if n >= 16 then bases, n = {}, 0 end
      bases[key], n = base, n + 1
    end
    return with_origin(base, v)
  end
end

function M.reader()
  return kept(by_shape())
end

-- A parse of one's own: fresh tables each call, the caller's to change.
function M.parse(sdp)
  return parse(sdp)
end

-- M.check's reader: its results are never handed out, and M.check keeps
-- what it makes of them by SDP (no kept() of its own)
local own = by_shape()

-- The SDP without the value of its o= line: what S-ANS-1, S-ANS-2 and
-- S-VER-1 compare to tell a changed SDP from a repeated one (the o=
-- line itself is S-VER-1's).
-- An SDP of a shape seen (shape_of) has its shape's: "\n" .. its key,
-- the same string for every SDP of that shape (the gsub would cut the
-- same value: the first o= line's, up to its CR).
M.content = kept(function(sdp)
  local sh = type(sdp) == "string" and shape_of(sdp)
  if sh then
    if not sh.content then sh.content = "\n" .. sh.key end
    return sh.content
  end
  return (("\n" .. sdp):gsub("\no=[^\r\n]*", "\no=", 1))
end)

M.show = show

-- (for tests/e2e/fixtures/rules-fast: the o= check in one match and by
-- its fields, which must find the same)
M._origin = { matched = value.o, by_fields = origin_fields }

-- What each stream of a parsed SDP does: its own direction, else the
-- session's, else sendrecv (RFC 8866 6.7).
function M.media_direction(d, m)
  return m.dir or d.dir or "sendrecv"
end

-- Well formed (S-FMT-1, the grammar of RFC 8866 section 9 and the
-- rules of its section 5): returns true, or false and every problem,
-- each naming the line and what is wrong with it.
-- (true or what is wrong, kept by the SDP: strings, which no caller can
-- change)
local function check_new(sdp)
  local ps = own(sdp).problems
  if #ps == 0 then return true end
  local shown = {}
  for i = 1, math.min(#ps, 6) do shown[i] = ps[i] end
  local why = table.concat(shown, "; ")
  if #ps > 6 then why = why .. ("; and %d more"):format(#ps - 6) end
  return why
end

-- check_new on a thread of its own, one for the Lua state: a thread
-- keeps the deepest stack it ever grew, and a call's coroutine (siptap
-- load) that checked an SDP, as most scenarios do, and then waited
-- (t:sleep, a response) kept 80 slots (1.3 KB) for the whole wait
-- instead of 40. Here the parse's depth is this thread's, once.
local checker

local function checker_loop(sdp)
  while true do
    sdp = coroutine.yield(check_new(sdp))
  end
end

-- The last 256 SDPs checked are kept: under siptap load a call's rules
-- check the answer its scenario checked, after some 200 other calls'
-- scenarios (at 3000 calls/s a worker) checked theirs. The strings are
-- the calls' own, held by their messages while they are in progress.
local CHECKS_KEPT = 256

local checked = kept(function(sdp)
  if not checker or coroutine.status(checker) ~= "suspended" then
    checker = coroutine.create(checker_loop)
  end
  local ok, why = coroutine.resume(checker, sdp)
  if not ok then
    checker = nil
    error(why, 0)
  end
  return why
end, CHECKS_KEPT)

function M.check(sdp)
  if type(sdp) ~= "string" or sdp == "" then
    return false, "no SDP"
  end
  local why = checked(sdp)
  if why == true then return true end
  return false, why
end

---------------------------------------------------------------------------
-- The WebRTC profile (RFC 8829 JSEP, S-RTC-1, S-RTC-2)
---------------------------------------------------------------------------

-- The attributes of an SDP by section: { session = attrs, media = {
-- { type, port (nil if not a number), proto, attrs } } }, where attrs
-- maps a name to the list of its values ("" for a flag). Lenient: a
-- line it cannot read is S-FMT-1's.
function M.sections(sdp)
  local out = { session = {}, media = {} }
  local cur = out.session
  for _, l in ipairs(lines(sdp)) do
    local ty, port, proto = l:match("^m=(%S+) (%S+) (%S+)")
    if ty then
      local m = { type = ty, port = tonumber(port:match("^(%d+)") or ""),
                  proto = proto, attrs = {}, text = l }
      out.media[#out.media + 1] = m
      cur = m.attrs
    else
      local name, val = l:match("^a=([^:]+):?(.*)$")
      if name then
        cur[name] = cur[name] or {}
        cur[name][#cur[name] + 1] = val
      end
    end
  end
  return out
end

local function words(s)
  local out = {}
  for w in (s or ""):gmatch("%S+") do out[#out + 1] = w end
  return out
end

-- The mids of the a=group:BUNDLE lines of parsed sections (a list of
-- lists), or nil when there is none.
function M.bundles(secs)
  local out
  for _, g in ipairs(secs.session.group or {}) do
    local w = words(g)
    if w[1] == "BUNDLE" then
      out = out or {}
      table.remove(w, 1)
      out[#out + 1] = w
    end
  end
  return out
end

-- In the WebRTC profile: a UDP/TLS/RTP/SAVPF stream, ICE credentials
-- and a DTLS fingerprint (at session or media level).
M.is_webrtc = kept(function(sdp)
  if type(sdp) ~= "string" then return false end
  -- ICE credentials are an a=ice-ufrag line, the name as written: an
  -- SDP without those bytes is not in the profile, and is read no
  -- further (most SDPs: every call's offer under siptap load)
  if not sdp:find("ice-ufrag", 1, true) or
     not sdp:find("fingerprint", 1, true) then
    return false
  end
  local secs = M.sections(sdp)
  local savpf, ice, fp = false, secs.session["ice-ufrag"] ~= nil,
                         secs.session.fingerprint ~= nil
  for _, m in ipairs(secs.media) do
    savpf = savpf or m.proto:upper() == "UDP/TLS/RTP/SAVPF"
    ice = ice or m.attrs["ice-ufrag"] ~= nil
    fp = fp or m.attrs.fingerprint ~= nil
  end
  return savpf and ice and fp
end)

-- A section's attribute: its own, else (in a bundled section, RFC 8843
-- 7.3.1: transport attributes may stand only in the BUNDLE-tag's
-- section) the tag section's, else the session's.
local function attr(secs, m, tag, name)
  local v = m.attrs[name] or (tag and tag.attrs[name]) or
            secs.session[name]
  return v and v[1]
end

local FP_HASHES = { ["sha-1"] = 20, ["sha-224"] = 28, ["sha-256"] = 32,
                    ["sha-384"] = 48, ["sha-512"] = 64 }

-- RFC 8122 5: hash-func SP fingerprint (UHEX pairs joined by ":")
local function fingerprint_problem(v)
  local hash, hex = v:match("^(%S+) (%S+)$")
  if not hash or not (hex .. ":"):find("^%x%x:[%x:]*$") or
     (hex .. ":"):gsub("%x%x:", "") ~= "" then
    return "a=fingerprint:" .. v .. " is not <hash-func> <hex:hex:...>"
  end
  local bytes = #(hex .. ":") // 3
  local want = FP_HASHES[hash:lower()]
  if want and bytes ~= want then
    return ("a=fingerprint:%s has %d bytes, a %s digest has %d"):format(
      v, bytes, hash, want)
  end
end

-- RFC 8839 5.4: ice-ufrag 4..256, ice-pwd 22..256 ice-chars
local function ice_problem(name, v, min)
  if not v then return "no a=" .. name end
  if #v < min or #v > 256 or v:find("[^%w+/]") then
    return ("a=%s:%s is not %d..256 ice-chars (ALPHA DIGIT + /)"):format(
      name, v, min)
  end
end

-- The section of secs whose a=mid is mid
local function by_mid(secs, mid)
  for _, m in ipairs(secs.media) do
    if m.attrs.mid and m.attrs.mid[1] == mid then return m end
  end
end

-- The BUNDLE-tag section m belongs to in secs (the first mid of its
-- group), or nil
local function tag_of(secs, m)
  local mid = m.attrs.mid and m.attrs.mid[1]
  for _, g in ipairs(M.bundles(secs) or {}) do
    for _, x in ipairs(g) do
      if x == mid then return by_mid(secs, g[1]) end
    end
  end
end

-- What a section of the WebRTC profile lacks (S-RTC-1): answering the
-- offered section om, or (om nil) as an offer. Returns a list of what
-- is wrong, each with the value seen.
local function section_problems(secs, m, om, n)
  local out = {}
  local tag = tag_of(secs, m)
  local function add(x) if x then out[#out + 1] = x end end
  if om and om.proto:upper() ~= m.proto:upper() then
    add(("proto %s, offered %s"):format(m.proto, om.proto))
  end
  local fp = attr(secs, m, tag, "fingerprint")
  add(not fp and "no a=fingerprint" or fingerprint_problem(fp))
  local setup = attr(secs, m, tag, "setup")
  if not om then
    if setup ~= "actpass" then
      add("a=setup:" .. tostring(setup) .. " in an offer (wanted actpass)")
    end
  elseif not setup then
    add("no a=setup (wanted active or passive)")
  elseif setup ~= "active" and setup ~= "passive" then
    add("a=setup:" .. setup .. " in an answer (wanted active or passive" ..
        (setup == "actpass" and ", never actpass)" or ")"))
  end
  add(ice_problem("ice-ufrag", attr(secs, m, tag, "ice-ufrag"), 4))
  add(ice_problem("ice-pwd", attr(secs, m, tag, "ice-pwd"), 22))
  -- RFC 5761: RTP only (a data channel has no RTCP)
  local offered_mux = m.proto:upper():find("RTP/") and
                      (not om or om.attrs["rtcp-mux"])
  if offered_mux and not attr(secs, m, tag, "rtcp-mux") then
    add(om and ("no a=rtcp-mux, offered in m= line %d"):format(n) or
        "no a=rtcp-mux")
  end
  local mid = m.attrs.mid and m.attrs.mid[1]
  local omid = om and om.attrs.mid and om.attrs.mid[1]
  if not mid then
    add(omid and ("no a=mid (the offer's m= line %d has a=mid:%s)"):format(
      n, omid) or "no a=mid")
  elseif omid and mid ~= omid then
    add(("a=mid:%s where the offer's m= line %d has a=mid:%s"):format(
      mid, n, omid))
  end
  return out
end

-- S-RTC-1 over an SDP of the WebRTC profile: with offer, as its answer
-- (each accepted stream; one rejected with port 0 needs nothing),
-- without, as an offer. Returns the problems ("m= line N: ...") and how
-- many streams were judged.
function M.webrtc_problems(sdp, offer)
  if type(sdp) ~= "string" or (offer ~= nil and type(offer) ~= "string") then
    error("webrtc_problems: takes an SDP and optionally the offer it " ..
          "answers, as strings", 2)
  end
  local secs = M.sections(sdp)
  local osecs = offer and M.sections(offer)
  local out, n = {}, 0
  for i, m in ipairs(secs.media) do
    local om = osecs and osecs.media[i]
    local judged = m.port and m.port ~= 0 and
                   (not osecs or (om and (om.port ~= 0 or
                    om.attrs["bundle-only"]) and
                    om.type:lower() == m.type:lower()))
    if judged then
      n = n + 1
      for _, p in ipairs(section_problems(secs, m, om, i)) do
        out[#out + 1] = ("m= line %d (%s): %s"):format(i, m.type, p)
      end
    end
  end
  return out, n
end

-- S-RTC-2: the answer's BUNDLE groups name mids the offer bundled, and
-- only mids of streams the answer uses (not rejected, or bundle-only).
-- An offered mid no section of the answer carries is S-RTC-1's (the
-- answer's section did not mirror it) or S-OA-1's (no such section).
-- Returns the problems, and whether there was a group to judge.
function M.bundle_problems(answer, offer)
  local secs, osecs = M.sections(answer), M.sections(offer)
  local groups = M.bundles(secs)
  if not groups then return {}, false end
  local offered, shown = {}, {}
  for _, g in ipairs(M.bundles(osecs) or {}) do
    for _, mid in ipairs(g) do
      offered[mid] = true
      shown[#shown + 1] = mid
    end
  end
  local out = {}
  for _, g in ipairs(groups) do
    local text = "a=group:BUNDLE " .. table.concat(g, " ")
    for _, mid in ipairs(g) do
      local m = by_mid(secs, mid)
      if not offered[mid] then
        out[#out + 1] = ("%s names mid %s, which the offer's BUNDLE " ..
          "group does not (%s)"):format(text, mid, #shown > 0 and
          "a=group:BUNDLE " .. table.concat(shown, " ") or
          "the offer has no a=group:BUNDLE")
      elseif m and m.port == 0 and not m.attrs["bundle-only"] then
        out[#out + 1] = ("%s names mid %s, whose stream the answer " ..
          "rejects (%s)"):format(text, mid, m.text)
      end
    end
  end
  return out, true
end

return M
