-- An INVITE that requires an extension the UAS does not know (RFC 3261
-- 8.2.2.3): the UAS core rejects it with 420 Bad Extension listing the
-- option tag in Unsupported, before any provisional response, and the
-- application never sees the call. The scenario's UAS has nothing to
-- decide: an invitation that reaches it is itself the finding.

local TAG = "x-siptap-unknown"

-- The first final response within ms, or nil.
local function final_within(call, ms)
  local got, r = pcall(call.response, call, nil, { timeout = ms })
  while got and r.status < 200 do
    got, r = pcall(call.response, call, nil, { timeout = ms })
  end
  return got and r or nil
end

test("unknown Require: 420 with Unsupported listing the tag [P-EXT-1]",
     function(t)
  local uas = t:uas()
  local call = t:uac():invite{ sdp = true, require = TAG }
  local final = final_within(call, math.max(2000, 8 * t:uas_t1()))
  local inv
  if not final then
    -- no answer by itself: the call went to the application; end it
    local got
    got, inv = pcall(uas.incoming, uas, { timeout = 500 })
    if got then
      t:fail("P-EXT-1: the INVITE requiring " .. TAG .. " reached the "
             .. "application", "an invitation at the UAS")
      inv:reject{ statusCode = 500 }
      final = final_within(call, 2000)
    end
  end
  t:is(final and final.status, 420, "P-EXT-1: 420 Bad Extension")
  if final and final.status == 420 then
    t:header_is(final, "Unsupported", TAG, "P-EXT-1: Unsupported lists " ..
                TAG)
  end
  local early = 0
  for _, m in ipairs(call:responses()) do
    if m.status > 100 and m.status < 200 then early = early + 1 end
  end
  t:is(early, 0, "P-EXT-1: no provisional response before the rejection")
  if final then call:ack(final) end
end)
