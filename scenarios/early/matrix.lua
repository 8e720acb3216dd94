-- The offer/answer of the early dialog as a matrix: which side makes the
-- first offer (the UAC in the INVITE, or the UAS in its reliable 183 to
-- an offerless INVITE), and in which message the second offer goes (the
-- PRACK, an UPDATE in the early dialog, an UPDATE or a re-INVITE after
-- the ACK, or the UAS's 200 to an offerless re-INVITE). Every
-- combination (nine: an offer in the PRACK cannot follow the UAS's
-- offer, which that PRACK answers); the rules judge each call's wire.
local early = require "siptap.early"

local FIRST = { "invite", "183" }
local SECOND = { "prack", "update-early", "update", "reinvite",
                 "reinvite-200" }

local CASES = {}
for _, first in ipairs(FIRST) do
  for _, second in ipairs(SECOND) do
    if not (first == "183" and second == "prack") then
      CASES[#CASES + 1] = { first = first, second = second }
    end
  end
end

local function name(c)
  return ("early o/a: first offer in the %s, second in the %s " ..
          "[R-PRACK-4 P-UPD-1 S-VER-1]"):format(
          c.first == "invite" and "INVITE" or "reliable 183",
          ({ prack = "PRACK", ["update-early"] = "early UPDATE",
             update = "UPDATE after the ACK", reinvite = "re-INVITE",
             ["reinvite-200"] = "200 to an offerless re-INVITE" })[c.second])
end

-- An answer in r: status 200 and one stream taken.
local function answered(t, r, what)
  t:is(r.status, 200, what .. ": 200")
  early.same_streams(t, r.body, 1, what .. ": the answer takes the stream")
end

local function run(t, c)
  local call = t:uac():invite{ supported = "100rel",
                               sdp = c.first == "invite" or nil }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 183, rel100 = true }
  local r = call:response(183)
  if not early.reliable(t, r) then return end
  local prack = {}
  if c.first == "183" then prack.sdp = early.answer(r.body) end
  if c.second == "prack" then prack.sdp = early.offer{ port = 40100 } end
  local pr = call:prack(r, prack)
  if c.second == "prack" then answered(t, pr, "offer in the PRACK") end
  if c.second == "update-early" then
    answered(t, call:update(r, { sdp = early.offer{ port = 40102 } }),
             "offer in the early UPDATE")
  end
  inv:accept()
  local ok = call:response(200)
  call:ack(ok)
  inv:wait("confirmed")
  if c.second == "update" then
    answered(t, call:update(ok, { sdp = early.offer{ port = 40104 } }),
             "offer in the UPDATE")
  elseif c.second == "reinvite" then
    local re = call:reinvite(ok, { sdp = early.offer{ port = 40106 } })
    answered(t, re, "offer in the re-INVITE")
    call:ack(re)
  elseif c.second == "reinvite-200" then
    local re = call:reinvite(ok)
    t:is(re.status, 200, "offerless re-INVITE: 200")
    t:ok(early.taken(re.body) >= 1, "the 200 offers a stream")
    call:ack(re, { sdp = early.answer(re.body) })
  end
  t:is(call:bye().status, 200, "BYE answered 200")
end

tests(#CASES, function(i) return name(CASES[i]) end,
      function(i) return function(t) run(t, CASES[i]) end end)
