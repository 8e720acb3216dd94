-- statusCode on its own: each provisional code with its default reason
-- phrase, and the default code when statusCode is not given.
local cases = {
  { 180, "Ringing" },
  { 181, "Call Is Being Forwarded" },
  { 182, "Queued" },
  { 183, "Session Progress" },
  { 199, "Early Dialog Terminated" },
}

for _, c in ipairs(cases) do
  local code, phrase = c[1], c[2]
  test(("statusCode %d: '%d %s' on the wire [P-REASON-1 P-TAG-1]")
       :format(code, code, phrase), function(t)
    local call = t:uac():invite{}
    local inv = t:uas():incoming()
    inv:progress{ statusCode = code }
    local r = call:response(code)
    t:like(r.raw, "^SIP/2%.0 " .. code .. " " .. phrase:gsub("%p", "%%%0")
           .. "\r\n", "status line")
    t:ok(r.to_tag, "P-TAG-1: To tag")
    inv:reject{ statusCode = 486 }
    call:ack(call:response(486))
  end)
end

test("statusCode unset: 180 Ringing [P-REASON-1]", function(t)
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  inv:progress()
  local r = call:response()
  while r.status == 100 do        -- a proxy's own 100 Trying
    r = call:response()
  end
  t:is(r.status, 180, "default status code")
  t:is(r.reason, "Ringing", "P-REASON-1: default reason phrase")
end)

test("statusCode 100: 100 Trying, no To tag, Timestamp copied [P-100-1]",
     function(t)
  local call = t:uac():invite{ headers = { "Timestamp: 54.2" } }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 100 }
  local r = call:response(100)
  t:is(r.reason, "Trying", "reason phrase")
  t:is(r.to_tag, nil, "P-TAG-1: 100 Trying has no To tag")
  t:header_is(r, "Timestamp", "54.2", "P-100-1: Timestamp copied from the INVITE")
end)

test("statusCode unset on a reliable provisional: still 180 Ringing [P-REASON-1 R-WHEN-3]",
     function(t)
  local call = t:uac():invite{ supported = "100rel" }
  local inv = t:uas():incoming()
  inv:progress{ rel100 = true }
  local r = call:response()
  while r.status == 100 do        -- a UAS's or a proxy's 100 Trying
    r = call:response()
  end
  t:is(r.status, 180, "default status code")
  t:header_is(r, "Require", "100rel", "sent reliably")
  if r:header("RSeq") then call:prack(r) end
end)
