-- Requests for a dialog or a transaction the UAS does not have (RFC 3261
-- 12.2.2, 9.2): 481 Call/Transaction Does Not Exist, not 501. Through a
-- proxy these requests are the proxy's to answer (a stateful proxy
-- answers a CANCEL it has no transaction for itself): skipped.
local rules = require "siptap.rules"

local VIA_PROXY = SIPTAP.proxy and "a proxy answers this request itself"

local function final_of(call)
  local r = call:response()
  while r.status < 200 do r = call:response() end
  return r
end

test("an INVITE whose To tag matches no dialog gets 481 [P-DLG-2]",
     { skip = VIA_PROXY }, function(t)
  local call = t:uac():invite{ to_tag = "x-siptap-no-dialog", sdp = true }
  local f = final_of(call)
  call:ack(f)
  t:is(f.status, 481, "481 Call/Transaction Does Not Exist")
  t:is(f.to_tag, "x-siptap-no-dialog", "the 481 keeps the To tag")
  rules.check(t, { "P-DLG-2" }, { always = true })
end)

test("a CANCEL that matches no transaction gets 481; the call goes on [P-DLG-2]",
     { skip = VIA_PROXY }, function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  local stray = call:cancel{ branch = "z9hG4bK-siptap-no-transaction" }
  t:is(stray.status, 481, "the stray CANCEL: 481")
  t:is(inv:state(), "early", "the INVITE is not cancelled")
  local c = call:cancel()
  t:is(c.status, 200, "the INVITE's own CANCEL: 200")
  call:ack(call:response(487))
  rules.check(t, { "P-DLG-2" }, { always = true })
end)

-- The answer to the request with this CSeq method, waiting up to ms.
local function answer_to(t, method, ms)
  for _ = 1, ms // 20 do
    for _, m in ipairs(t:wire()) do
      if m.role == "uac" and not m.sent and not m.request and
         m.cseq_method == method and m.status >= 200 then
        return m
      end
    end
    t:sleep(20)
  end
end

test("an INFO in the call's Call-ID with a To tag of no dialog gets 481 [P-DLG-2]",
     { skip = VIA_PROXY }, function(t)
  local uac = t:uac()
  local call = uac:invite{}
  t:uas():incoming():accept()
  local ok = call:response(200)
  call:ack(ok)
  local raw = table.concat({
    "INFO " .. ok:header("Contact"):match("<([^>]+)>") ..
      " SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-siptap-info;rport",
    "Max-Forwards: 70",
    "From: " .. ok:header("From"),
    "To: " .. ok:header("To"):gsub(";%s*tag=[^;]*", "") ..
      ";tag=x-siptap-no-dialog",
    "Call-ID: " .. call:call_id(),
    "CSeq: 900 INFO",
    "Content-Length: 0", "", "" }, "\r\n")
  uac:send_raw(raw)
  local a = answer_to(t, "INFO", 2000)
  t:ok(a, "the INFO is answered")
  if a then t:is(a.status, 481, "481 Call/Transaction Does Not Exist") end
  rules.check(t, { "P-DLG-2" }, { always = true })
  call:bye()
end)
