-- Option tags the UAS does not support (RFC 3261 8.2.2.3): an INVITE
-- that requires them is rejected at once with 420, and Unsupported lists
-- every one. "x-siptap-" tags are siptap's reserved prefix: no UAS
-- supports them, so any other answer is a finding.
local rules = require "siptap.rules"

local UNKNOWN = { "x-siptap-unsupported", "x-siptap-unsupported-2" }

-- The 420 to the INVITE, and how many provisionals came first. No 420:
-- the UAS took the INVITE; the reference UAS's application then rings,
-- so that P-EXT-1 sees what the UAS answers (a remote UAS answers by
-- itself), and the test fails.
local function final_of(t, call)
  local ok, f = pcall(call.response, call, 420,
                      { timeout = 8 * t:uas_t1() + 500 })
  if not ok then
    if not SIPTAP.remote then
      local got, inv = pcall(t:uas().incoming, t:uas(), { timeout = 100 })
      if got then inv:progress{ statusCode = 180 } end
      t:sleep(100)
    end
    error(f, 0)
  end
  local before = 0
  for _, m in ipairs(call:responses()) do
    if m.time < f.time and m.status < 200 then before = before + 1 end
  end
  return f, before
end

local function listed(m)
  local set = {}
  for _, v in ipairs(m:headers("Unsupported")) do
    for tag in v:gmatch("[^,%s]+") do set[tag:lower()] = true end
  end
  return set
end

test("two unknown Require tags: 420 at once, Unsupported lists both [P-EXT-1]",
     function(t)
  local call = t:uac():invite{ require = table.concat(UNKNOWN, ", "),
                               sdp = true }
  local f, before = final_of(t, call)
  call:ack(f)
  if not SIPTAP.proxy then
    t:is(before, 0, "no provisional before the 420")
  end
  local set = listed(f)
  for _, tag in ipairs(UNKNOWN) do
    t:ok(set[tag], "Unsupported lists " .. tag)
  end
  rules.check(t, { "P-EXT-1" }, { unsupported = UNKNOWN, always = true })
end)

test("100rel and an unknown tag required: 420 for the unknown one only [P-EXT-1 R-WHEN-1]",
     function(t)
  local call = t:uac():invite{ require = "100rel, " .. UNKNOWN[1] }
  local f = final_of(t, call)
  call:ack(f)
  local set = listed(f)
  t:ok(set[UNKNOWN[1]], "Unsupported lists " .. UNKNOWN[1])
  rules.check(t, { "P-EXT-1", "R-WHEN-1" }, { unsupported = UNKNOWN })
end)

test("the unknown tag in a Require of its own, twice: still one 420 [P-EXT-1]",
     function(t)
  local call = t:uac():invite{ headers = {
    "Require: " .. UNKNOWN[1], "Require: " .. UNKNOWN[2] } }
  local f = final_of(t, call)
  call:ack(f)
  local set = listed(f)
  t:ok(set[UNKNOWN[1]] and set[UNKNOWN[2]], "Unsupported lists both")
end)
