-- An INVITE written with compact header names (RFC 3261 7.3.3), sent as
-- raw bytes: the UAS understands it, copies Via, From, To, Call-ID and
-- CSeq into its 180 [P-COPY-1], and message objects read compact names.
test("compact header names in the INVITE [P-COPY-1 P-TAG-1]", function(t)
  local uac = t:uac()
  local uas = t:uas()
  local target = uac:target()
  local invite = table.concat({
    "INVITE sip:siptap@" .. target .. " SIP/2.0",
    "v: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKcompact1;rport",
    "v: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKupstream",
    "Max-Forwards: 70",
    "f: <sip:alice@127.0.0.1>;tag=c0mpact",
    "t: <sip:siptap@" .. target .. ">",
    "i: compact-forms-1@127.0.0.1",
    "CSeq: 7 INVITE",
    "m: <sip:alice@127.0.0.1:9>",
    "l: 0",
    "", "" }, "\r\n")
  uac:send_raw(invite)

  local inv = uas:incoming()
  local req = inv:request()
  t:is(req:header("Via"), "SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKcompact1;rport",
       "header('Via') reads a 'v:' line")
  t:is(#req:headers("v"), 2, "headers('v') finds both Via lines")
  t:is(req:header("Call-ID"), "compact-forms-1@127.0.0.1", "i: is Call-ID")

  inv:progress{ statusCode = 180 }
  t:sleep(50)
  local sent
  for _, m in ipairs(t:wire()) do
    if m.role == "uas" and m.sent and m.status == 180 then sent = m end
  end
  t:ok(sent, "the UAS sent a 180")
  if sent then
    local vias = sent:headers("Via")
    t:is(#vias, 2, "P-COPY-1: both Via values copied")
    t:is(vias[2], "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKupstream",
         "P-COPY-1: in the same order")
    t:like(sent:header("From"), "tag=c0mpact", "From with its tag")
    t:is(sent:header("Call-ID"), "compact-forms-1@127.0.0.1", "Call-ID")
    t:is(sent:header("CSeq"), "7 INVITE", "CSeq")
  end
end)
