-- siptap.checkers.sdp: the checkers of session descriptions in provisional
-- responses: conformance.md section C (RFC 3261 13.2.1, RFC 3262 5, RFC
-- 3264, RFC 6337). Its rules:
--
--   S-ANS-1  the answer in a reliable provisional; the 2xx repeats it or has none
--   S-ANS-2  early media answer in an unreliable 18x; the 2xx carries the same
--   S-OFF-1  no offer in the INVITE: the first reliable response carries one
--   S-MOD-1  the SDP on the wire has the options and modifiers applied
--   S-FMT-1  every SDP is well formed
--
-- Each checker: function(c, ctx) -> violations, checked, over one call
-- of siptap.checkers.wire; violations: { { msg = m, why = "..." }, ... }.
-- siptap.checkers (init.lua) puts the families together.

local W = require "siptap.checkers.wire"
local sdp = require "siptap.sdp"

local rseq, is_sdp, unique, asked = W.rseq, W.is_sdp, W.unique, W.asked
local final, reliables = W.final, W.reliables

local rules, rule = W.family()

rule("S-ANS-1", "the answer in a reliable provisional; the 2xx repeats it or has none",
function(c)
  local v, n = {}, 0
  if not is_sdp(c.invite) then return v, 0 end
  local answer
  for _, e in ipairs(reliables(c)) do
    if is_sdp(e.first) then answer = answer or e.first end
  end
  local f = final(c)
  if not answer or not f or f.status >= 300 then return v, 0 end
  n = 1
  if f.body ~= "" and f.body ~= answer.body then
    v[#v + 1] = { msg = f, why = "the 2xx carries an SDP other than the "
                  .. "answer of the reliable " .. answer.status }
  end
  return v, n
end)

rule("S-ANS-2", "early media answer in an unreliable 18x; the 2xx carries the same",
function(c)
  local v, n = {}, 0
  if not is_sdp(c.invite) or #reliables(c) > 0 then return v, 0 end
  local early
  for _, r in ipairs(unique(c)) do
    if r.status > 100 and r.status < 200 and is_sdp(r) then
      early = early or r
    end
  end
  local f = final(c)
  if not early or not f or f.status >= 300 then return v, 0 end
  n = 1
  if f.body ~= early.body then
    v[#v + 1] = { msg = f, why = "the 2xx SDP differs from the early "
                  .. "media answer in the " .. early.status }
  end
  return v, n
end)

rule("S-OFF-1", "no offer in the INVITE: the first reliable response carries one",
function(c)
  local v, n = {}, 0
  if is_sdp(c.invite) or c.invite.body ~= "" then return v, 0 end
  for _, r in ipairs(unique(c)) do
    local reliable = (r.status > 100 and r.status < 200 and rseq(r)) or
                     (r.status >= 200 and r.status < 300)
    if reliable then
      n = 1
      if not is_sdp(r) and r.body ~= "" and not r:header("Content-Type") then
        -- a body the UAC cannot take for SDP: P-BODY-1's, not a second
        -- finding
        v[#v + 1] = { msg = r, consequence = "P-BODY-1",
                      observed = "a body without Content-Type",
                      why = "the first reliable response (" .. r.status ..
                      ") has a body without Content-Type, no offer" }
      elseif not is_sdp(r) then
        v[#v + 1] = { msg = r, why = "the first reliable response (" ..
                      r.status .. ") carries no offer",
                      observed = r.status .. " with " .. (r.body == "" and
                      "no body" or "Content-Type: " ..
                      tostring(r:header("Content-Type"))) }
      end
      break
    end
  end
  return v, n
end)

-- ctx.codecs (list of names, in order) and ctx.direction.
rule("S-MOD-1", "the SDP on the wire has the options and modifiers applied",
function(c, ctx)
  local v, n = {}, 0
  if not ctx.codecs and not ctx.direction and not ctx.absent_codecs then
    return v, 0
  end
  for _, r in ipairs(unique(c)) do
    if is_sdp(r) and asked(r, ctx) then
      n = n + 1
      local got = sdp.codecs(r.body)
      if ctx.codecs and table.concat(got, ",") ~= table.concat(ctx.codecs, ",")
      then
        v[#v + 1] = { msg = r, why = "codecs " .. table.concat(got, ",") ..
                      ", wanted " .. table.concat(ctx.codecs, ",") }
      elseif ctx.direction and sdp.direction(r.body) ~= ctx.direction then
        v[#v + 1] = { msg = r, why = "direction " .. sdp.direction(r.body)
                      .. ", wanted " .. ctx.direction }
      end
      for _, a in ipairs(ctx.absent_codecs or {}) do
        if sdp.has_codec(r.body, a) or r.body:find("rtpmap:%d+ " .. a .. "/")
        then
          v[#v + 1] = { msg = r, why = a .. " is still in the SDP" }
        end
      end
    end
  end
  if n == 0 then
    v[#v + 1] = { msg = c.invite, why = "no SDP in a provisional response",
                  observed = "no provisional with a body" }
    n = 1
  end
  return v, n
end)

rule("S-FMT-1", "every SDP is well formed", function(c)
  local v, n = {}, 0
  for _, r in ipairs(unique(c)) do
    if is_sdp(r) then
      n = n + 1
      local ok, why = sdp.check(r.body)
      if not ok then v[#v + 1] = { msg = r, why = why } end
    end
  end
  return v, n
end)

return rules
