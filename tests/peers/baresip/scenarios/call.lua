-- baresip 1.0.0 as the UAS under test (siptap run --target ADDR:PORT):
-- these scenarios only send and expect. The rules that need no knowledge
-- of the case (sections A, B, C) run on every response after each test.

test("a call: 180, then 200 with SDP, ACK, BYE [P-TAG-1 P-TAG-2 P-DLG-1 P-BODY-1 P-COPY-1]",
     function(t)
  local call = t:uac():invite{ sdp = true }
  local r = call:response(180)
  t:ok(r.to_tag, "the 180 has a To tag")
  t:like(r:header("Contact") or "", "<sip:", "and a Contact")
  local ok = call:response(200)
  t:is(ok.to_tag, r.to_tag, "the 200 keeps the To tag")
  t:header_is(ok, "Content-Type", "application/sdp", "an SDP answer")
  call:ack(ok)
  t:is(call:bye().status, 200, "BYE answered 200")
end)

test("Supported: 100rel: reliable only if the UAS chooses [R-WHEN-3 R-HDR-1]",
     function(t)
  local call = t:uac():invite{ supported = "100rel", sdp = true }
  local r = call:response(180)
  if r:header("RSeq") then
    t:header_is(r, "Require", "100rel", "a reliable 180 requires 100rel")
    t:is(call:prack(r).status, 200, "its PRACK is answered")
  else
    t:no_header(r, "Require", "an unreliable 180 requires nothing")
  end
  call:ack(call:response(200))
  call:bye()
end)

test("Require: 100rel: reliable provisionals, or 420 with Unsupported [R-WHEN-1]",
     function(t)
  local call = t:uac():invite{ require = "100rel", sdp = true }
  local r = call:response()
  while r.status == 100 do r = call:response() end
  if r.status == 420 then
    t:header_is(r, "Unsupported", "100rel", "420 names 100rel")
    call:ack(r)
  else
    t:ok(r:header("RSeq"), r.status .. " is reliable")
    call:prack(r)
    call:ack(call:response(200))
    call:bye()
  end
end)
