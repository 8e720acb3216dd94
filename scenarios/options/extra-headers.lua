-- extraHeaders on its own: each header exactly once, in order, byte for
-- byte, after the headers the response copies from the INVITE.
local function header_lines(raw)
  local out = {}
  local head = raw:match("^(.-)\r\n\r\n") or raw
  for line in (head .. "\r\n"):gmatch("([^\r\n]*)\r\n") do
    out[#out + 1] = line
  end
  table.remove(out, 1)  -- the status line
  return out
end

local function index_of(list, value)
  for i, v in ipairs(list) do
    if v == value then return i end
  end
end

test("extraHeaders: one header [P-HDR-1]", function(t)
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  inv:progress{ extraHeaders = { "P-Early-Media: sendrecv" } }
  local r = call:response(180)
  t:is(#r:headers("P-Early-Media"), 1, "P-HDR-1: appears once")
  t:header_is(r, "P-Early-Media", "sendrecv", "P-HDR-1: value")
end)

test("extraHeaders: several, two of one name, in order [P-HDR-1]",
     function(t)
  local extra = { "X-First: 1", "Alert-Info: <urn:alert:tone:normal>",
                  "X-Dup: a", "X-Dup: b" }
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, extraHeaders = extra }
  local r = call:response(183)
  local ls = header_lines(r.raw)
  local last = 0
  for _, h in ipairs(extra) do
    local i = index_of(ls, h)
    t:ok(i and i > last, "P-HDR-1: '" .. h .. "' present, byte for byte, in order")
    last = i or last
  end
  t:is(#r:headers("X-Dup"), 2, "P-HDR-1: both X-Dup headers")
  t:ok(index_of(ls, "X-First: 1") > index_of(ls, "CSeq: " .. r.cseq ..
       " INVITE"), "after the mandatory headers")
end)
