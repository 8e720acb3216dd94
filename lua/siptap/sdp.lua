-- siptap.sdp: reading session descriptions and the modifiers that
-- sessionDescriptionHandlerModifiers take (functions from SDP to SDP).
--
--   local sdp = require "siptap.sdp"
--   inv:progress{ sessionDescriptionHandlerModifiers = {
--     sdp.remove_codec("PCMA"), sdp.set_direction("sendonly") } }
--   t:is(sdp.direction(r.body), "sendonly")

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
    local fmts = l:match("^m=%S+ %d+ %S+ (.*)$")
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
      local head, fmts = l:match("^(m=%S+ %d+ %S+) (.*)$")
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

-- Well formed (S-FMT-1): v=0 first; o=, s=, t= present; every m=
-- payload static or with an rtpmap; CRLF line ends. Returns true, or
-- false and why.
function M.check(sdp)
  if type(sdp) ~= "string" or sdp == "" then
    return false, "no SDP"
  end
  if sdp:find("[^\r]\n") or sdp:sub(1, 1) == "\n" then
    return false, "a line ends in LF without CR"
  end
  if sdp:sub(-2) ~= "\r\n" then
    return false, "the last line has no CRLF"
  end
  local ls = lines(sdp)
  if ls[1] ~= "v=0" then return false, "v=0 is not the first line" end
  for _, k in ipairs{ "o", "s", "t" } do
    local found = false
    for _, l in ipairs(ls) do
      if l:sub(1, 2) == k .. "=" then found = true end
    end
    if not found then return false, k .. "= is missing" end
  end
  local map = rtpmap(ls)
  for _, l in ipairs(ls) do
    local fmts = l:match("^m=%S+ %d+ RTP/%S+ (.*)$")
    for pt in (fmts or ""):gmatch("%S+") do
      if tonumber(pt) >= 96 and not map[pt] then
        return false, "payload " .. pt .. " has no rtpmap"
      end
    end
  end
  return true
end

return M
