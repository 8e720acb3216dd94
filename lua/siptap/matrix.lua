-- siptap.matrix: the progress() option matrix. The cases come from the
-- dimensions below, not by hand: every pair of values of any two
-- dimensions appears in at least one case (greedy pairwise, the same
-- cases for the same --seed), or with --matrix full every combination.
-- matrix.run(t, case) plays one case and checks what the wire must show
-- for it.

local rules = require "siptap.rules"
local sdp = require "siptap.sdp"

local M = {}

local UTF8_REASON = "Läuft — bitte warten ☎"

local OFFERLESS_SDP = table.concat({
  "v=0", "o=- 4242 4242 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
  "t=0 0", "m=audio 40000 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000", "a=sendrecv", "" }, "\r\n")

M.dimensions = {
  { name = "statusCode", values = { "unset", 100, 180, 181, 182, 183, 199 } },
  { name = "reasonPhrase", values = { "unset", "ascii", "utf8" } },
  { name = "extraHeaders", values = { "none", "one", "several" } },
  { name = "body", values = { "none", "sdp", "table" } },
  { name = "sdh", values = { "none", "options", "modifiers" } },
  { name = "rel100", values = { "unset", false, true } },
  { name = "invite100rel", values = { "none", "supported", "require", "both" } },
  { name = "offer", values = { true, false } },
}

---------------------------------------------------------------------------
-- Generating cases
---------------------------------------------------------------------------

-- siptap.cases makes them (loaded only where SIPTAP.memo has no cases
-- yet: once in a run, not in every test's Lua state).
function M.pairwise(dims, seed)
  return require("siptap.cases").pairwise(dims, seed)
end

function M.full(dims)
  return require("siptap.cases").full(dims)
end

-- The cases as value indexes, one digit each, a case a line: what
-- SIPTAP.memo keeps between the tests' Lua states.
local function pack(raw)
  local lines = {}
  for i, c in ipairs(raw) do lines[i] = table.concat(c) end
  return table.concat(lines, "\n")
end

-- The packed cases of opts: from SIPTAP.memo, or made and kept there.
local function packed(opts)
  local key = ("siptap.matrix %s %s"):format(opts.matrix or "pairwise",
                                             tostring(opts.seed or 1))
  local memo = SIPTAP and SIPTAP.memo
  local p = memo and memo(key)
  if not p then
    local dims = M.dimensions
    p = pack((opts.matrix == "full") and M.full(dims) or
             M.pairwise(dims, opts.seed or 1))
    if memo then memo(key, p) end
  end
  return p
end

-- Case i of the packed cases, as a table of named values:
-- { statusCode = 183, body = "sdp", ... }
local function case_at(p, i)
  local width = #M.dimensions + 1            -- its digits and "\n"
  local named = {}
  for d, dim in ipairs(M.dimensions) do
    named[dim.name] = dim.values[p:byte((i - 1) * width + d) - 48]
  end
  return named
end

-- cases and case_list take {matrix =, seed =}; another key is a typo,
-- an error at the scenario line that passed it (level 3).
local function checked(opts, fn)
  opts = opts or {}
  if type(opts) ~= "table" then
    error(("siptap.matrix.%s: options must be a table, got %s")
          :format(fn, type(opts)), 3)
  end
  for k in pairs(opts) do
    if k ~= "matrix" and k ~= "seed" then
      error(("siptap.matrix.%s: unknown option '%s' (it takes matrix, seed)")
            :format(fn, tostring(k)), 3)
    end
  end
  return opts
end

function M.cases(opts)
  local p = packed(checked(opts, "cases"))
  local out = {}
  for i = 1, (#p + 1) // (#M.dimensions + 1) do out[i] = case_at(p, i) end
  return out
end

-- The cases without making them all: count, and at(i), the i-th as
-- M.cases has it. For tests(), which makes only the case a test runs.
function M.case_list(opts)
  local p = packed(checked(opts, "case_list"))
  return { count = (#p + 1) // (#M.dimensions + 1),
           at = function(i) return case_at(p, i) end }
end

---------------------------------------------------------------------------
-- What a case asks for, and what the wire must show
---------------------------------------------------------------------------

local EXTRA = {
  none = nil,
  one = { "P-Early-Media: sendrecv" },
  several = { "X-Siptap-Case: matrix", "Alert-Info: <urn:alert:tone:normal>",
              "X-Dup: first", "X-Dup: second" },
}

local function options(case)
  local o = {}
  if case.statusCode ~= "unset" then o.statusCode = case.statusCode end
  if case.reasonPhrase == "ascii" then o.reasonPhrase = "Custom Progress" end
  if case.reasonPhrase == "utf8" then o.reasonPhrase = UTF8_REASON end
  o.extraHeaders = EXTRA[case.extraHeaders]
  if case.body == "sdp" then o.body = OFFERLESS_SDP end
  if case.body == "table" then
    o.body = { body = "early media notice\n", contentType = "text/plain" }
  end
  if case.sdh == "options" then
    o.sessionDescriptionHandlerOptions = { codecs = { "PCMA", "PCMU" },
                                           direction = "sendonly" }
  elseif case.sdh == "modifiers" then
    o.sessionDescriptionHandlerModifiers = { sdp.remove_codec("PCMA"),
                                             sdp.set_direction("sendonly") }
  end
  if case.rel100 ~= "unset" then o.rel100 = case.rel100 end
  return o
end

local function invite(case)
  local i = {}
  if case.invite100rel == "supported" or case.invite100rel == "both" then
    i.supported = "100rel"
  end
  if case.invite100rel == "require" or case.invite100rel == "both" then
    i.require = "100rel"
  end
  if case.offer then i.sdp = true end
  return i
end

-- The reference UAS's answer to a case (conformance.md D and the RFCs).
function M.expect(case)
  local e = {}
  e.status = case.statusCode == "unset" and 180 or case.statusCode
  local requires = case.invite100rel == "require" or case.invite100rel == "both"
  local supports = case.invite100rel ~= "none"
  e.reliable = e.status ~= 100 and
               (requires or (supports and case.rel100 == true))
  local o = options(case)
  e.reason = o.reasonPhrase or
             ({ [100] = "Trying", [180] = "Ringing",
                [181] = "Call Is Being Forwarded", [182] = "Queued",
                [183] = "Session Progress",
                [199] = "Early Dialog Terminated" })[e.status]
  e.headers = o.extraHeaders
  -- a reliable provisional to an INVITE without an offer must carry the
  -- offer (S-OFF-1): a non-SDP body there is refused
  e.refused = e.reliable and not case.offer and case.body == "table"
  if e.status == 100 then
    e.body = "none"
  elseif case.body ~= "none" then
    e.body = case.body
  elseif e.reliable or (case.offer and (e.status == 183 or case.sdh ~= "none"))
  then
    e.body = "generated"
  else
    e.body = "none"
  end
  e.content_type = (e.body == "table") and "text/plain" or
                   (e.body ~= "none") and "application/sdp" or "(none)"
  if e.body == "generated" and case.sdh == "options" then
    e.codecs = case.offer and { "PCMU", "PCMA" } or { "PCMA", "PCMU" }
    e.direction = "sendonly"
  elseif e.body == "generated" and case.sdh == "modifiers" then
    e.absent_codecs = { "PCMA" }
    e.direction = "sendonly"
  end
  return e
end

-- The rule ids a case checks beyond the general ones.
function M.rule_ids(case)
  local e = M.expect(case)
  if e.refused then return { "P-RANGE-1", "S-OFF-1" } end
  local ids = { "P-REASON-1", "P-HDR-1", "P-BODY-1" }
  if case.invite100rel == "supported" then ids[#ids + 1] = "R-WHEN-3" end
  if case.invite100rel == "require" or case.invite100rel == "both" then
    ids[#ids + 1] = "R-WHEN-1"
  end
  if case.invite100rel == "none" then ids[#ids + 1] = "R-WHEN-2" end
  if e.codecs or e.direction or e.absent_codecs then
    ids[#ids + 1] = "S-MOD-1"
  end
  return ids
end

function M.name(case)
  local parts = {}
  for _, d in ipairs(M.dimensions) do
    parts[#parts + 1] = d.name .. "=" .. tostring(case[d.name])
  end
  return "progress{" .. table.concat(parts, " ") .. "} [" ..
         table.concat(M.rule_ids(case), " ") .. "]"
end

---------------------------------------------------------------------------
-- Playing a case
---------------------------------------------------------------------------

function M.run(t, case)
  local e = M.expect(case)
  local call = t:uac():invite(invite(case))
  local inv = t:uas():incoming()
  local o = options(case)

  if e.refused then
    t:raises(function() inv:progress(o) end, "S%-OFF%-1",
             "refused: a reliable provisional must carry the offer")
    t:sleep(20)
    rules.check(t, { "P-RANGE-1" }, { always = true })
    inv:reject{ statusCode = 488 }
    call:ack(call:response(488))
    return
  end

  inv:progress(o)
  if e.status == 100 and SIPTAP.proxy then
    -- a proxy does not forward a 100 (RFC 3261 16.7): check what the
    -- UAS sent, and that the UAC got the proxy's own
    local sent
    for _, m in ipairs(t:wire()) do
      if m.role == "uas" and m.sent and m.status == 100 then sent = m end
    end
    t:ok(sent, "the UAS sent 100")
    if sent then t:is(sent.reason, e.reason, "its reason phrase") end
    t:is(call:response(100).status, 100, "the proxy's own 100 arrived")
    inv:accept()
    call:ack(call:response(200))
    return
  end
  local r = call:response(e.status)
  -- each point names its rule: findings.md files it there
  local when = "R-WHEN-2"
  for _, id in ipairs(M.rule_ids(case)) do
    if id:match("^R%-WHEN%-") then when = id end
  end
  t:is(r.reason, e.reason, "P-REASON-1: reason phrase")
  if e.body == "sdp" then
    t:body_is(r, OFFERLESS_SDP, "P-BODY-1: the SDP body as given")
  elseif e.body == "table" then
    t:body_is(r, "early media notice\n", "P-BODY-1: the text body as given")
  elseif e.body == "generated" then
    t:ok(sdp.check(r.body), "S-FMT-1: a generated SDP")
  else
    t:is(r.body, "", "P-BODY-1: no body")
  end
  t:is(r:header("RSeq") ~= nil, e.reliable,
       when .. (e.reliable and ": sent reliably" or ": sent unreliably"))

  rules.check(t, M.rule_ids(case), {
    status = e.status, reason = e.reason, headers = e.headers,
    content_type = e.content_type, reliable = e.reliable,
    codecs = e.codecs, direction = e.direction,
    absent_codecs = e.absent_codecs,
  })

  if e.reliable then
    local prack = {}
    if not case.offer and r.body ~= "" and
       (r:header("Content-Type") or ""):match("application/sdp") then
      prack.sdp = sdp.set_direction("sendrecv")(r.body)   -- the answer
    end
    t:is(call:prack(r, prack).status, 200, "R-PRACK-1: PRACK answered 200")
  end
  inv:accept()
  call:ack(call:response(200))
end

return M
