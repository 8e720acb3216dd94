-- An INVITE that came through two proxies (Record-Route, as a proxy
-- would add it; both point back at the UAS so that nothing leaves
-- 127.0.0.1): the early dialog copies the Record-Route in order and has
-- a Contact; PRACK and ACK follow the route set.
local flows = require "siptap.flows"

test("early dialog: Contact and Record-Route in 183 and 200 [P-DLG-1]",
     { skip = SIPTAP.proxy and "the INVITE's own Record-Route would route "
              .. "PRACK and ACK around the proxy" },
     function(t)
  local uas = t:uas()
  local hop = uas:address()
  local rr = { "<sip:" .. hop .. ";lr;proxy=one>",
               "<sip:" .. hop .. ";lr;proxy=two>" }
  local call = t:uac():invite{ supported = "100rel", sdp = true,
    headers = { "Record-Route: " .. rr[1], "Record-Route: " .. rr[2] } }
  local inv = uas:incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  t:like(r:header("Contact") or "", "^<sip:", "P-DLG-1: Contact with a SIP URI")
  local got = r:headers("Record-Route")
  t:is(#got, 2, "P-DLG-1: both Record-Route headers")
  t:is(got[1], rr[1], "P-DLG-1: first as in the INVITE")
  t:is(got[2], rr[2], "P-DLG-1: second as in the INVITE")
  if not flows.reliable(t, r, "R-WHEN-3") then return end
  t:is(call:prack(r).status, 200, "R-PRACK-1: PRACK over the route set")
  inv:accept()
  local ok = call:response(200)
  t:is(#ok:headers("Record-Route"), 2, "P-DLG-1: 200 copies them too")
  call:ack()
end)
