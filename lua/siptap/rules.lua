-- siptap.rules: the rule checks by id (conformance.md sections A, B, C,
-- and what a proxy must do), over the wire as siptap's UAC saw it.
-- rules.check() runs checkers and turns what they found into TAP points.
--
--   local rules = require "siptap.rules"
--   rules.check(t, { "P-REASON-1", "P-HDR-1" }, {
--     reason = "Ringing", headers = { "X-A: 1" } })
--
-- The case-free rules run by themselves after every test (rules.after);
-- the ones that need to know what was asked for (P-REASON-1, P-HDR-1,
-- R-WHEN-3, S-MOD-1, P-RANGE-1) are called by the scenarios.
--
-- The checkers are in siptap.checkers, loaded for one check and let go
-- after it: many tests run at once, and one that waits for its next
-- message should hold this small module only, not every checker.

local M = {}

-- The rules that need no knowledge of the case: run after every test.
M.general = {
  "P-COPY-1", "P-TAG-1", "P-TAG-2", "P-100-1", "P-DLG-1", "P-BODY-1",
  "P-RETX-1", "P-LONG-1", "R-WHEN-1", "R-WHEN-2", "R-HDR-1", "R-RSEQ-1",
  "R-ONE-1", "R-RETX-1", "R-RETX-2", "R-TIMEOUT-1", "R-PRACK-1",
  "R-PRACK-2", "R-FINAL-1", "R-FINAL-2", "S-ANS-1", "S-ANS-2", "S-OFF-1",
  "S-FMT-1",
}

-- What a proxy must do (RFC 3261 16.7), checked when --proxy is set.
M.proxy = { "PX-FWD-1", "PX-HDR-1", "PX-100-1", "PX-RR-1", "PX-REL-1" }

-- siptap.checkers, fresh: package.loaded does not keep it.
local function checkers()
  local C = require "siptap.checkers"
  package.loaded["siptap.checkers"] = nil
  return C
end

-- rules.titles (id -> title), rules.rules (id -> checker) and
-- rules.calls(wire) are the checkers' own, loaded when asked for.
setmetatable(M, { __index = function(_, k)
  if k == "titles" or k == "rules" or k == "calls" then
    return checkers()[k]
  end
end })

---------------------------------------------------------------------------
-- Turning violations into TAP points
---------------------------------------------------------------------------

-- Runs the rules ids over every call of the test's wire. One point per
-- rule that had something to look at; with ctx.always, also for rules
-- that did not (a case that expects the rule to apply).
local function run(C, t, ids, ctx)
  ctx = ctx or {}
  ctx.t1 = ctx.t1 or t:t1()
  local calls = C.calls(t:wire())
  local all_ok = true
  for _, id in ipairs(ids) do
    local fn = C.rules[id]
    -- level 3: whoever called rules.check
    if not fn then error("siptap.rules: no rule " .. tostring(id), 3) end
    local violations, checked = {}, 0
    for _, c in ipairs(calls) do
      local v, n = fn(c, ctx)
      checked = checked + n
      for _, x in ipairs(v) do violations[#violations + 1] = x end
    end
    if checked > 0 or ctx.always then
      local desc = ("%s %s (%d checked)"):format(id, C.titles[id], checked)
      local first = violations[1]
      if first then
        local why = {}
        for _, x in ipairs(violations) do why[#why + 1] = x.why end
        t:report(false, desc, { rule = id, message = table.concat(why, "; ") },
                 first.msg)
        all_ok = false
      else
        t:report(true, desc)
      end
    end
  end
  return all_ok
end

function M.check(t, ids, ctx)
  local all_ok = run(checkers(), t, ids, ctx)
  -- the checkers and what they built are garbage now: gone before the
  -- test waits again
  collectgarbage()
  return all_ok
end

-- Called by siptap after each test, also one that raised or timed out
-- (the wire so far may show why); its Lua state is closed right after.
function M.after(t)
  local C = checkers()
  if #C.calls(t:wire()) == 0 then return end
  run(C, t, M.general, { t1 = t:uas_t1() })
  if SIPTAP.proxy then run(C, t, M.proxy, { t1 = t:uas_t1() }) end
end

return M
