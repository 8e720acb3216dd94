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
-- The checkers are in siptap.checkers (lua/siptap/checkers/, one file a
-- rule family), loaded for one check and let go after it: many tests
-- run at once, and one that waits for its next message should hold this
-- small module only, not every checker.

local M = {}

-- The rules that need no knowledge of the case: run after every test.
M.general = {
  "P-COPY-1", "P-TAG-1", "P-TAG-2", "P-100-1", "P-DLG-1", "P-BODY-1",
  "P-RETX-1", "P-LONG-1", "R-WHEN-1", "R-WHEN-2", "R-HDR-1", "R-RSEQ-1",
  "R-ONE-1", "R-RETX-1", "R-RETX-2", "R-TIMEOUT-1", "R-PRACK-1",
  "R-PRACK-2", "R-FINAL-1", "R-FINAL-2", "S-ANS-1", "S-ANS-2", "S-OFF-1",
  "S-FMT-1", "S-OA-1", "S-OA-2", "S-VER-1", "P-EXT-1", "P-DLG-2",
  "P-2XX-1", "R-PRACK-3", "P-WIRE-1", "S-RTC-1", "S-RTC-2",
  "R-PRACK-4", "P-BYE-1", "P-UPD-1", "P-UPD-2",
}

-- What a proxy must do (RFC 3261 16.6, 16.7), checked when --proxy is set.
M.proxy = { "PX-FWD-1", "PX-HDR-1", "PX-100-1", "PX-RR-1", "PX-REL-1",
            "PX-REQ-1", "PX-REQ-2" }

-- Why the proxy rules had nothing to compare.
local UNMATCHED = "the two legs could not be matched: the UAS got an " ..
  "INVITE with neither the UAC's Call-ID nor its From tag and CSeq " ..
  "(topology hiding or a B2BUA?)"

-- siptap.checkers, fresh: package.loaded does not keep it (nor its
-- families: the index lets go of them itself). Under siptap load
-- (SIPTAP.load) one state plays every call of a test: loading the
-- checkers again after each call was a tenth of the CPU of a call, and
-- the one copy kept is shared by all of them, so it is kept.
local kept
local function checkers()
  if kept then return kept end
  local C = require "siptap.checkers"
  package.loaded["siptap.checkers"] = nil
  if SIPTAP and SIPTAP.load then kept = C end
  return C
end

-- rules.titles (id -> title), rules.rules (id -> checker), rules.scopes
-- (id -> "wire" for a checker of the whole wire) and rules.calls(wire)
-- are the checkers' own, loaded when asked for.
setmetatable(M, { __index = function(_, k)
  if k == "titles" or k == "rules" or k == "calls" or k == "scopes" then
    return checkers()[k]
  end
end })

---------------------------------------------------------------------------
-- Turning violations into TAP points
---------------------------------------------------------------------------

-- A checker adds its violations to the list it is given (its third
-- argument; one of its own when given none): most find nothing in most
-- calls, so one empty list is lent to each in turn (run()), and a new
-- one made only when a checker kept the last (38 rules a call under
-- siptap load: as many tables made and collected for nothing). A
-- checker that raised half way may have left some in it: not lent
-- again.
local scratch = {}

-- Through a proxy, a general rule that found fault (v) with what the
-- UAC got is asked again about what the UAS sent and got
-- (checkers.uas_view): if that is right, the proxy changed it on the
-- way and the UAS is not blamed (the PX-* rules say what the proxy did).
-- Returns violations, checked, and whether the proxy was.
local function through_proxy(C, fn, id, c, ctx, v, n)
  if id:match("^PX%-") then return v, n end
  local u = C.uas_view(c)
  if u and #fn(u, ctx) == 0 then return {}, n, true end
  -- what the UAS did is unknown: say where the message came from
  -- edge mode (--agent with --proxy): the UAS's side is on no socket
  -- of ours; without the agent's report of it both are suspects
  local whose = c.unmatched and "the proxy, whose INVITE at the UAS could "
                .. "not be matched with this call" or not u and
                SIPTAP.agent and "the proxy from the UAS, whose own side "
                .. "siptap did not see (edge mode, no report from the "
                .. "agent): the proxy or the UAS did it" or not u and
                not SIPTAP.remote and "the proxy; the INVITE never "
                .. "reached the UAS"
  if whose then
    for i, x in ipairs(v) do
      v[i] = { msg = x.msg, observed = x.observed,
               consequence = x.consequence, why = x.why ..
               " (as the UAC got it through " .. whose .. ")" }
    end
  end
  return v, n
end

-- The rules that judge when something happened, to tolerances of tens of
-- ms. siptap's own loop reads the wire and runs the reference UAS's
-- timers: when it ran later than that during the test (t:late(), a busy
-- machine, a sibling test's long check), a violation of one of these may
-- be siptap's lateness, and no peer is blamed for it. R-RETX-1 is not
-- here: it weighs each gap against the lateness around it (ctx.late,
-- violation.late); these, coarser, against the most anything ran late in
-- the whole test, beyond the checkers' own slack (W.slack), unless a
-- violation misses by more than that (violation.miss).
local COARSE_TIMING = {
  ["R-RETX-2"] = true, ["R-TIMEOUT-1"] = true, ["P-2XX-1"] = true,
  ["P-RETX-1"] = true, ["P-LONG-1"] = true,
}

local function late_most(t)
  local own, host = t:late()
  return math.max(own or 0, host or 0)
end

-- Does a violation miss its time by more than any lateness explains?
-- A checker gives `miss` (ms past the bound) where it can measure one:
-- a 2xx sent again 350 ms after the ACK is not a 32 ms late loop's doing.
-- The slack once more on top: the 10 ms tick that measures the lateness
-- may have seen a little less than there was.
local function beyond(violations, late)
  for _, x in ipairs(violations) do
    if x.miss and x.miss > late then return true end
  end
  return false
end

-- Runs the rules ids over every call of the test's wire. One point per
-- rule that had something to look at; with ctx.always, also for rules
-- that did not (a case that expects the rule to apply). A proxy rule
-- with nothing to compare because the legs could not be matched is a
-- SKIP point saying so.
-- ctx.late(from, to, miss): whose lateness explains a time that missed
-- by miss ms over [from, to] (t:late: siptap's own loop, or the agent's
-- UAS host as the agent reported), or nil. A timing rule gives it to
-- its violation (`late`); a rule whose violations all have one is a
-- SKIP point saying whose lateness it was, not filed against the UAS.
local function late(t)
  return function(from, to, miss)
    local own, host = t:late(from, to)
    if own >= miss then
      return ("siptap's own loop ran %d ms late then (a busy machine), "
              .. "the time missed by %.0f ms: not the UAS's"):format(own,
              miss)
    elseif host >= miss then
      return ("the UAS's host ran %d ms late then (a busy machine, as "
              .. "the agent reported), the time missed by %.0f ms: not "
              .. "the UAS's"):format(host, miss)
    end
  end
end

M.late = late

-- wire, calls: t:wire() and its calls when the caller has them (a run
-- of the general rules after one of P-WIRE-1's look, the proxy rules
-- after the general ones: the same wire, the calls made once).
-- No violations: shared by every rule that found none, never added to
-- (a rule that finds one gets a list of its own).
local NONE = {}

-- What run() needs of a rule, looked up once for each id: its checker,
-- whether it runs once over the whole wire, whether it is a proxy rule,
-- and its point's descriptions by count, "<id> <title> (<n> checked)"
-- (a rule judges the same few things in every call). Kept for the
-- checkers kept under siptap load (38 rules after every call); a run
-- with checkers loaded for it makes its own, let go with them.
local kept_recs = {}

local function record(C, recs, id)
  local r = recs[id]
  if r then return r end
  local fn = id ~= nil and C.rules[id]
  if not fn then return nil end
  r = { fn = fn, whole = C.scopes[id] == "wire",
        px = id:match("^PX%-") ~= nil, title = C.titles[id], descs = {} }
  recs[id] = r
  return r
end

local function describe(r, id, checked)
  local d = r.descs[checked]
  if not d then
    d = ("%s %s (%d checked)"):format(id, r.title, checked)
    if checked <= 64 then r.descs[checked] = d end
  end
  return d
end

local function run(C, t, ids, ctx, wire, calls)
  ctx = ctx or {}
  ctx.t1 = ctx.t1 or t:t1()
  ctx.late = ctx.late or late(t)
  wire = wire or t:_views()
  calls = calls or C.calls(wire)
  local unmatched = false
  for k = 1, #calls do unmatched = unmatched or calls[k].unmatched end
  local proxy, report = SIPTAP.proxy, t.report
  local recs = C == kept and kept_recs or {}
  local all_ok = true
  for i = 1, #ids do
    local id = ids[i]
    if id == nil then break end   -- (as ipairs: the list ends there)
    local r = recs[id] or record(C, recs, id)
    -- level 3: whoever called rules.check
    if not r then error("siptap.rules: no rule " .. tostring(id), 3) end
    local fn = r.fn
    local violations, checked, proxy_did = NONE, 0, false
    if r.whole then
      -- once, over every message (one that decodes not is of no call)
      violations, checked = fn({ wire = wire, calls = calls }, ctx)
    else
      for k = 1, #calls do
        if scratch[1] ~= nil then scratch = {} end
        local v, n = fn(calls[k], ctx, scratch)
        -- (numeric loops, and one test for what most calls are: a rule
        -- runs for every call, and most find nothing)
        if v[1] ~= nil then
          local p
          if v == scratch then scratch = {} end
          if proxy then
            v, n, p = through_proxy(C, fn, id, calls[k], ctx, v, n)
            proxy_did = proxy_did or p
          end
          if v[1] ~= nil then
            if violations == NONE then violations = {} end
            for j = 1, #v do violations[#violations + 1] = v[j] end
          end
        end
        checked = checked + n
      end
    end
    if violations == NONE and checked > 0 and not proxy_did then
      -- what most rules find in most calls: held, nothing to excuse
      report(t, true, r.descs[checked] or describe(r, id, checked))
    elseif checked == 0 and unmatched and r.px then
      t:skip(UNMATCHED, id .. " " .. r.title)
    elseif checked > 0 or ctx.always then
      -- made for a point only: most rules judge nothing in most calls
      local desc = r.descs[checked] or describe(r, id, checked)
      local first = violations[1]
      local excused = first and first.late
      for i = 2, #violations do excused = excused and violations[i].late end
      if excused then
        t:skip(first.late, desc)
      elseif first and COARSE_TIMING[id] and
             late_most(t) > C.slack(ctx) and
             not beyond(violations, late_most(t) + C.slack(ctx)) then
        t:skip(("not judged: siptap's event loop (or the agent's UAS "
                .. "host) ran %d ms late during this test (the timing "
                .. "allows %d ms), so the times read are not the UAS's; it "
                .. "saw: %s"):format(late_most(t), C.slack(ctx),
                first.why), desc)
      elseif first then
        -- expected: the rule; observed: what the checkers saw (their
        -- `observed`, e.g. "RSeq: 0"), never the rule again
        -- a violation that only follows from another rule's (a body
        -- without Content-Type is no offer) names it: when all do, the
        -- point is filed under that rule, not as a second finding
        local why, seen, cons = {}, {}, first.consequence
        for _, x in ipairs(violations) do
          why[#why + 1] = x.why
          if x.observed then seen[#seen + 1] = tostring(x.observed) end
          if x.consequence ~= cons then cons = nil end
        end
        if cons then
          why[#why] = why[#why] .. " (a consequence of " .. cons .. ")"
        end
        t:report(false, desc, { rule = cons or id,
                                message = table.concat(why, "; "),
                                wanted = r.title,
                                found = #seen > 0 and table.concat(seen, "; ")
                                        or nil }, first.msg)
        all_ok = false
      else
        if proxy_did then
          desc = desc .. "; the UAS sent it right, the proxy changed what "
                 .. "the UAC got"
        end
        report(t, true, desc)
      end
    end
  end
  return all_ok
end

function M.check(t, ids, ctx)
  local all_ok = run(checkers(), t, ids, ctx)
  -- the checkers and what they built are garbage now: gone before the
  -- test waits again. Not under siptap load: there the checkers are
  -- kept, the state holds every call in progress of the test (a full
  -- collection a check walked them all, 11 % of the CPU of a matrix
  -- call at 1200/s), and the graves' collections take the garbage.
  if not (SIPTAP and SIPTAP.load) then collectgarbage() end
  return all_ok
end

-- Called by siptap after each test, also one that raised or timed out
-- (the wire so far may show why); its Lua state is closed right after.
-- A test without a call runs them too when the peer under test sent a
-- message siptap could not decode (P-WIRE-1 must say so).
--
-- A stream the peer broke (bytes that are no message where one should
-- begin, a message cut short) leaves siptap unable to tell where that
-- stream's messages start and end: a wrong Content-Length cuts one body
-- short and makes junk of the rest, and nothing after it is read. Only
-- P-WIRE-1 is then checked; the other rules would judge a wire with
-- holes the peer made and blame them on rules it did not break.
function M.after(t)
  local C = checkers()
  -- the views, and their calls sorted in C where it can (W.calls)
  local wire, core = t:_views(true)
  local broken, stream
  for _, m in ipairs(C.peer_sent(wire, {})) do
    -- (a message read well formed was decoded: P-WIRE-1 reads the
    -- field anyway, undecodable would be one more read in C)
    if not m.well_formed and m.undecodable then
      broken = true
      stream = stream or (m.transport ~= "UDP" and m)
    end
  end
  local calls = C.calls(wire, core)
  if #calls == 0 and not broken then return end
  if stream then
    t:diag("the peer's " .. stream.transport .. " stream broke (#" ..
           stream.seq .. ": " .. tostring(stream.reason) .. "); only " ..
           "P-WIRE-1 was checked")
    run(C, t, { "P-WIRE-1" }, { t1 = t:uas_t1() }, wire, calls)
    return
  end
  run(C, t, M.general, { t1 = t:uas_t1() }, wire, calls)
  if SIPTAP.proxy then
    run(C, t, M.proxy, { t1 = t:uas_t1() }, wire, calls)
  end
end

return M
