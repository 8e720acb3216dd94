-- Digest authentication (RFC 3261 22, RFC 7616; docs/network.md): with
-- credentials (t:uac{auth = ...} or --auth) the UAC answers a 401 or
-- 407 by sending the request again, CSeq one higher, a new branch, and
-- an Authorization or Proxy-Authorization header. Here the reference
-- UAS plays the challenger; tests/e2e/e2e_auth.sh shows the digest
-- checked by Kamailio's auth module.
local flows = require "siptap.flows"

local CHALLENGE = 'Digest realm="siptap", nonce="n0nce", qop="auth", ' ..
                  'opaque="0paque"'

-- The INVITEs the UAS got, copies left out
local function invites(t)
  local out = {}
  for _, m in ipairs(t:wire()) do
    if m.role == "uas" and not m.sent and m.method == "INVITE" and
       not m.retransmission then
      out[#out + 1] = m
    end
  end
  return out
end

-- An INVITE challenged with code and challenge header hdr: the call,
-- the UAS's side of the INVITE that answers it, and both INVITEs
local function challenged(t, code, hdr, uac_opts, challenge)
  local call = t:uac(uac_opts):invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:reject{ statusCode = code,
              extraHeaders = { hdr .. ": " .. (challenge or CHALLENGE) } }
  local again = t:uas():incoming()
  local got = invites(t)
  return call, again, got[1], got[2]
end

test("a 401 is answered with Authorization: the same call, CSeq + 1",
     function(t)
  flows.direct_udp(t)
  local call, again, first, second = challenged(t, 401, "WWW-Authenticate",
    { auth = { user = "alice", password = "secret" } })
  t:is(second.call_id, first.call_id, "the same Call-ID")
  t:is(second.cseq, first.cseq + 1, "CSeq one higher")
  local a = second:header("Authorization") or ""
  t:like(a, '^Digest username="alice", realm="siptap", nonce="n0nce", '
         .. 'uri="' .. second.uri:gsub("%p", "%%%0") .. '", response="%x+", '
         .. 'algorithm=MD5, opaque="0paque", qop=auth, nc=00000001, '
         .. 'cnonce="%x+"$', "the Authorization answers the challenge")
  t:is(#(a:match('response="(%x+)"') or ""), 32, "an MD5 response")
  t:ok(first:header("Via") ~= second:header("Via"), "a new branch")
  again:accept()
  local ok = call:response(200)
  t:is(ok.cseq, second.cseq, "call:response() returns the new INVITE's 200")
  call:ack(ok)
end)

test("a 407 with SHA-256 is answered with Proxy-Authorization", function(t)
  flows.direct_udp(t)
  local call, again, _, second = challenged(t, 407, "Proxy-Authenticate",
    { auth = { user = "bob", password = "pw" } },
    CHALLENGE .. ", algorithm=SHA-256")
  local a = second:header("Proxy-Authorization") or ""
  t:like(a, 'algorithm=SHA%-256', "SHA-256")
  t:is(#(a:match('response="(%x+)"') or ""), 64, "a SHA-256 response")
  again:accept()
  call:ack(call:response(200))
end)

test("without credentials the 401 is the answer", function(t)
  flows.direct_udp(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:reject{ statusCode = 401,
              extraHeaders = { "WWW-Authenticate: " .. CHALLENGE } }
  t:is(call:response().status, 401, "call:response() returns the 401")
  call:ack()
end)

test("a second challenge is the answer: no loop on a wrong password",
     function(t)
  flows.direct_udp(t)
  local call, again = challenged(t, 401, "WWW-Authenticate",
    { auth = { user = "alice", password = "wrong" } })
  again:reject{ statusCode = 401,
                extraHeaders = { "WWW-Authenticate: " .. CHALLENGE } }
  t:is(call:response().status, 401, "call:response() returns the second 401")
  t:sleep(2 * t:t1())
  local invites = 0
  for _, m in ipairs(t:wire()) do
    if m.role == "uac" and m.sent and m.method == "INVITE" and
       not m.retransmission then
      invites = invites + 1
    end
  end
  t:is(invites, 2, "two INVITEs, not a third")
  call:ack()
end)
