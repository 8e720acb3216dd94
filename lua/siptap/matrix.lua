-- siptap.matrix: the progress() option matrix. The cases come from the
-- dimensions below, not by hand: every pair of values of any two
-- dimensions appears in at least one case (greedy pairwise, the same
-- cases for the same --seed), or with --matrix full every combination.
-- matrix.run(t, case) plays one case and checks what the wire must show
-- for it.

local rules = require "siptap.rules"
local sdp = require "siptap.sdp"
local web = require "siptap.web"

local M = {}

local UTF8_REASON = "Läuft — bitte warten ☎"

local OFFERLESS_SDP = table.concat({
  "v=0", "o=- 4242 4242 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
  "t=0 0", "m=audio 40000 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000", "a=sendrecv", "" }, "\r\n")

local AUDIO_VIDEO = table.concat({
  "v=0", "o=- 4343 4343 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
  "t=0 0", "m=audio 40000 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=sendrecv",
  "m=video 40002 RTP/AVP 96", "a=rtpmap:96 VP8/90000", "a=sendrecv", "" },
  "\r\n")

-- Values that take the same path as another are left out, so that
-- --matrix full stays under a minute: 181 and 182 go the way of 180
-- (their reason phrases: scenarios/options/status-code.lua), an ASCII
-- reason phrase the way of a UTF-8 one, one extra header the way of
-- several.
M.dimensions = {
  { name = "statusCode", values = { "unset", 100, 180, 183, 199 } },
  { name = "reasonPhrase", values = { "unset", "utf8" } },
  { name = "extraHeaders", values = { "none", "several" } },
  { name = "body", values = { "none", "sdp", "table" } },
  -- SIP.js's session description handler options and modifiers, and
  -- siptap's own extensions (codecs, direction)
  { name = "sdh", values = { "none", "hold", "constraints", "iceRestart",
                             "web", "extensions" } },
  { name = "rel100", values = { "unset", false, true } },
  { name = "invite100rel", values = { "none", "supported", "require", "both" } },
  { name = "offer", values = { "none", "audio", "audio+video", "webrtc" } },
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

-- The body=sdp value: an SDP the scenario gives as it is, shaped for
-- the offer it answers (the same m= lines), or an offer of its own
-- when the INVITE had none.
local WEBRTC_ANSWER = table.concat({
  "v=0", "o=- 4545 4545 IN IP4 127.0.0.1", "s=-", "t=0 0",
  "a=group:BUNDLE 0", "m=audio 40000 UDP/TLS/RTP/SAVPF 111",
  "c=IN IP4 127.0.0.1",
  "a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host",
  "a=ice-ufrag:Mtrx", "a=ice-pwd:siptapmatrixcasepassword",
  "a=fingerprint:sha-256 " .. ("5A:"):rep(31) .. "5A",
  "a=setup:active", "a=mid:0", "a=sendrecv", "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2", "" }, "\r\n")

local function given_sdp(case)
  if case.offer == "webrtc" then return WEBRTC_ANSWER end
  if case.offer == "audio+video" then
    return OFFERLESS_SDP .. table.concat({ "m=video 40002 RTP/AVP 96",
      "a=rtpmap:96 VP8/90000", "a=sendrecv", "" }, "\r\n")
  end
  return OFFERLESS_SDP
end

local function options(case)
  local o = {}
  if case.statusCode ~= "unset" then o.statusCode = case.statusCode end
  if case.reasonPhrase == "ascii" then o.reasonPhrase = "Custom Progress" end
  if case.reasonPhrase == "utf8" then o.reasonPhrase = UTF8_REASON end
  o.extraHeaders = EXTRA[case.extraHeaders]
  if case.body == "sdp" then o.body = given_sdp(case) end
  if case.body == "table" then
    o.body = { body = "early media notice\n", contentType = "text/plain" }
  end
  -- SIP.js users' objects as they write them; "extensions" are siptap's
  if case.sdh == "hold" then
    o.sessionDescriptionHandlerOptions = { hold = true }
  elseif case.sdh == "constraints" then
    o.sessionDescriptionHandlerOptions = {
      constraints = { audio = true, video = true } }
  elseif case.sdh == "iceRestart" then
    o.sessionDescriptionHandlerOptions = { offerOptions = { iceRestart = true } }
  elseif case.sdh == "web" then
    o.sessionDescriptionHandlerModifiers = { web.stripTelephoneEvent,
                                             web.stripG722 }
  elseif case.sdh == "extensions" then
    o.sessionDescriptionHandlerOptions = { codecs = { "PCMA", "PCMU" },
                                           direction = "sendonly" }
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
  if case.offer == "audio" then i.sdp = true end
  if case.offer == "audio+video" then i.sdp = AUDIO_VIDEO end
  if case.offer == "webrtc" then i.sdp = "webrtc" end
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
  local offered = case.offer ~= "none"
  e.refused = e.reliable and not offered and case.body == "table"
  if e.status == 100 then
    e.body = "none"
  elseif case.body ~= "none" then
    e.body = case.body
  elseif e.reliable or (offered and (e.status == 183 or case.sdh ~= "none"))
  then
    e.body = "generated"
  else
    e.body = "none"
  end
  e.content_type = (e.body == "table") and "text/plain" or
                   (e.body ~= "none") and "application/sdp" or "(none)"
  if e.body == "generated" and case.sdh == "extensions" and
     case.offer ~= "webrtc" then
    -- an answer keeps the offer's order (PCMU first)
    e.codecs = offered and { "PCMU", "PCMA" } or { "PCMA", "PCMU" }
    e.direction = "sendonly"
  elseif e.body == "generated" and case.sdh == "web" then
    e.absent_codecs = { "telephone-event", "G722" }
  elseif e.body == "generated" and case.sdh == "hold" then
    e.hold = true
  elseif e.body == "generated" and case.sdh == "constraints" then
    e.constraints = { audio = true, video = true }
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
  if e.codecs or e.direction or e.absent_codecs or e.hold or e.constraints
  then
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
  if SIPTAP.agent and not SIPTAP.agent_webrtc and case.offer == "webrtc" then
    t:skip_test("a WebRTC offer needs a WebRTC stack: the agent's UAS " ..
                "(SIP.js in node, with a stand-in SDH) has none")
  end
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
    t:body_is(r, given_sdp(case), "P-BODY-1: the SDP body as given")
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
    absent_codecs = e.absent_codecs, hold = e.hold,
    constraints = e.constraints,
  })

  if e.reliable then
    local prack = {}
    if case.offer == "none" and r.body ~= "" and
       (r:header("Content-Type") or ""):match("application/sdp") then
      prack.sdp = sdp.set_direction("sendrecv")(r.body)   -- the answer
    end
    t:is(call:prack(r, prack).status, 200, "R-PRACK-1: PRACK answered 200")
  end
  inv:accept()
  call:ack(call:response(200))
end

return M
