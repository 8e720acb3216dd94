-- rel100 on its own, against each way an INVITE can speak of 100rel.
local cases = {
  { invite = { supported = "100rel" }, rel100 = true,  reliable = true,
    rule = "R-WHEN-3" },
  { invite = { supported = "100rel" }, rel100 = false, reliable = false,
    rule = "R-WHEN-3" },
  { invite = { supported = "100rel" }, rel100 = nil,   reliable = false,
    rule = "R-WHEN-3" },
  { invite = {},                       rel100 = true,  reliable = false,
    rule = "R-WHEN-2" },
  { invite = { require = "100rel" },   rel100 = false, reliable = true,
    rule = "R-WHEN-1" },
  { invite = { require = "100rel", supported = "100rel" }, rel100 = nil,
    reliable = true, rule = "R-WHEN-1" },
}

for _, c in ipairs(cases) do
  local how = c.invite.require and "Require" or
              c.invite.supported and "Supported" or "no 100rel"
  if c.invite.require and c.invite.supported then
    how = "Require and Supported"
  end
  test(("rel100 %s, INVITE with %s: %s [%s R-HDR-1]"):format(
       tostring(c.rel100), how, c.reliable and "reliable" or "unreliable",
       c.rule), function(t)
    local call = t:uac():invite(c.invite)
    local inv = t:uas():incoming()
    inv:progress{ statusCode = 180, rel100 = c.rel100 }
    local r = call:response(180)
    if c.reliable then
      t:header_is(r, "Require", "100rel", "Require: 100rel")
      t:like(r:header("RSeq") or "", "^%d+$", "RSeq")
      t:is(call:prack(r).status, 200, "PRACK answered 200")
    else
      t:no_header(r, "RSeq", "no RSeq")
      t:no_header(r, "Require", "no Require")
    end
  end)
end
