-- siptap.flows: short call flows that scenarios reuse.

local M = {}

-- A plain call through siptap's own UAC and UAS: INVITE, 180, 200, ACK.
-- After hostile input, it shows that both still work.
function M.basic_call(t, what)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  -- INVITEs a hostile peer got in first are turned away
  while inv:request().call_id ~= call:call_id() do
    inv:reject{ statusCode = 486 }
    inv = t:uas():incoming()
  end
  inv:progress{ statusCode = 180 }
  local ok180 = call:response(180).status == 180
  inv:accept()
  local ok = call:response(200)
  call:ack(ok)
  return t:ok(ok180 and ok.status == 200,
              what or "a normal call still works afterwards")
end

-- Blame the right rule: the rest of a test needs r reliable (an RSeq to
-- PRACK). When it is not, one failing point says which rule that breaks
-- (rule: R-WHEN-1 for an INVITE that requires 100rel, R-WHEN-3 when the
-- UAS chose 100rel) and the test stops there (`if not flows.reliable(t,
-- r, "R-WHEN-3") then return end`), so that the checks that could not
-- run are not filed under their own rules as a second, wrong finding.
function M.reliable(t, r, rule)
  if r:header("RSeq") then return true end
  t:fail(("no PRACK possible: the %d came unreliably (a consequence of "
          .. "%s)"):format(r.status, rule),
         ("%d without RSeq"):format(r.status))
  return false
end

-- A request as raw text: lines joined with CRLF, the blank line after
-- the headers, then the body. Via and Contact name the peer, so that a
-- response comes back to it.
function M.request(peer, lines, body)
  local text = table.concat(lines, "\r\n"):gsub("PEER", peer:address())
  return text .. "\r\n\r\n" .. (body or "")
end

-- A call answered at once: INVITE (with an SDP offer and the invite
-- options given), 200, ACK. The call and the UAS's side of it.
function M.answered(t, opts)
  local o = { sdp = true }
  for k, v in pairs(opts or {}) do o[k] = v end
  local call = t:uac():invite(o)
  local inv = t:uas():incoming()
  inv:accept()
  call:ack(call:response(200))
  return call, inv
end

-- A test of the impaired link (t:link, scenarios/network) needs the
-- reference UAS over UDP with nothing in between: the link acts where
-- siptap's sockets receive, and a proxy's own transactions or a remote
-- UAS's would answer for what it dropped. Anywhere else it skips.
function M.direct_udp(t)
  if SIPTAP.transport ~= "UDP" or SIPTAP.proxy or SIPTAP.remote or
     SIPTAP.agent then
    t:skip_test("link impairment tests run against the reference UAS "
                .. "over UDP, no proxy (docs/network.md)")
  end
end

-- A timing check: value (ms), measured over [from, to] on the wire's
-- clock, within lo..hi. A miss by no more than siptap's own loop ran
-- late in that interval, or the agent's UAS host did (a browser's
-- timers on a busy machine, as the agent reported; t:late()), is not
-- the UAS's doing: that point is skipped saying whose lateness it was,
-- never passed and never filed against the UAS.
function M.timing(t, value, lo, hi, desc, from, to)
  if value >= lo and value <= hi then return t:ok(true, desc) end
  local why = require("siptap.rules").late(t)(from or 0, to or math.huge,
                                            value < lo and lo - value
                                            or value - hi)
  if not why then return t:ok(false, desc) end
  t:skip(why, desc)
  return false
end

-- A test that needs the UAS to answer or make a WebRTC offer: against
-- an agent whose UAS has no WebRTC stack (its start answer did not say
-- "offers":"webrtc", e.g. SIP.js in node with the stand-in handler) the
-- test ends as a SKIP saying so. Decided when the test runs, once the
-- agent answered start: SIP.js in Chromium runs these tests.
function M.webrtc_uas(t)
  if SIPTAP.agent and not SIPTAP.agent_webrtc then
    t:skip_test("a WebRTC answer needs a WebRTC stack: the agent's UAS "
                .. "has none (its start answer did not say "
                .. "\"offers\":\"webrtc\")")
  end
end

-- A check of what siptap's reference UAS chooses where an answerer may
-- choose (the codecs and fmtp it keeps, a data channel refused, how its
-- bundled sections share a port): run on siptap's own UAS; against an
-- agent's UAS, another implementation, one SKIP point saying so (the
-- rules S-RTC-*, S-OA-* still judge its SDP).
function M.reference(t, desc, check)
  if not SIPTAP.agent then return check() end
  t:skip("the reference UAS's own choice, where RFC 8829 lets an answerer "
         .. "choose: not checked on the agent's UAS", desc)
end

return M
