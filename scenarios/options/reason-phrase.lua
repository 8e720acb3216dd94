-- reasonPhrase on its own: a custom phrase appears byte for byte.
-- (a list, not a map: tests must be declared in the same order each time)
local phrases = {
  { "ascii", "Please Hold The Line" },
  { "utf-8", "Läuft — bitte warten ☎" },
}

for _, p in ipairs(phrases) do
  local kind, phrase = p[1], p[2]
  test("reasonPhrase " .. kind .. " byte for byte [P-REASON-1]", function(t)
    local call = t:uac():invite{}
    local inv = t:uas():incoming()
    inv:progress{ statusCode = 180, reasonPhrase = phrase }
    local r = call:response(180)
    t:is(r.reason, phrase, "P-REASON-1: reason phrase")
    t:is(r.raw:sub(1, #("SIP/2.0 180 " .. phrase) + 2),
         "SIP/2.0 180 " .. phrase .. "\r\n", "status line bytes")
  end)
end
