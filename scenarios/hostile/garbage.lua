-- Bytes that are not SIP at all, at the UAS and at the UAC, over UDP
-- and TCP: siptap drops them, stays up, and the next call works.
local flows = require "siptap.flows"

local junk = {
  { "binary garbage", string.char(0, 255, 1, 254, 13, 10, 0, 7):rep(64) },
  { "NUL bytes in a request line", "INVITE sip:a\0b@127.0.0.1 SIP/2.0\r\n\r\n" },
  { "a lone CRLF keepalive", "\r\n\r\n" },
  { "half a request line", "INVITE sip:" },
}

for _, j in ipairs(junk) do
  for _, target in ipairs{ "uas", "uac" } do
    for _, tp in ipairs{ "udp", "tcp" } do
      test(("hostile: %s at the %s over %s"):format(j[1], target, tp),
           function(t)
        t:peer():send(j[2], { to = target, transport = tp })
        t:sleep(50)
        flows.basic_call(t)
      end)
    end
  end
end
