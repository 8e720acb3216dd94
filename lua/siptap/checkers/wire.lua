-- siptap.checkers.wire: reading the wire for the checkers, the part
-- every rule family uses: the calls as siptap's UAC saw them
-- (W.calls), the same call as siptap's UAS saw it (W.uas_view), and
-- the small readers the families share. No rule is checked here.
--
-- The checkers' loops over lists are numeric (`for i_ = 1, #l do local
-- x = l[i_]`; a list read from a field or a call is made a local `list_`
-- first), not ipairs: ipairs calls a C function for every element, and
-- under siptap load 38 rules run over every call: the ipairs loops were
-- about a tenth of the rules' instructions a call. (The lists a scenario
-- gives, ctx.headers and the like, keep ipairs: one with a hole ends
-- there.)

local W = {}

-- A rule family's list and the function that adds to it:
--   local rules, rule = W.family()
--   rule("P-TAG-2", "one To tag for all non-100 responses", function(c) end)
-- A fourth argument "wire": the checker runs once over the whole wire
-- (function(w, ctx), w = { wire =, calls = }), not once a call.
function W.family()
  local rules = {}
  return rules, function(id, title, fn, scope)
    rules[#rules + 1] = { id = id, title = title, fn = fn, scope = scope }
  end
end

-- Without the white space (%s) at either end. Linear in #s: a peer's
-- long run of blanks costs no more than its length. Most values have
-- none: a first and last byte above 32 (no %s in the C locale) is the
-- value itself, without a pattern.
local byte = string.byte

local function trim(s)
  local a, z = byte(s, 1), byte(s, -1)
  if a and a > 32 and z > 32 then return s end
  local i = s:find("%S")
  return i and s:match(".*%S", i) or ""
end

-- What the rules derive from one message (its header values as lists,
-- its identity, RSeq, From tag, whether it has SDP) is made once and
-- kept with it: the rules of a run read the same messages many times,
-- and a message never changes. Weak keys: it goes with the message.
-- Kept by kind, each kind a table by message (KEPT[k][m]): no table of
-- its own made for each message (ten or so a call, and their growth).
-- W.of(m) is a message's own table still, for a checker that keeps
-- something of its own.
local WEAK = { __mode = "k" }
local derived = setmetatable({}, WEAK)
local NONE = {}   -- a value kept that is nil
local KEPT = {}   -- kind -> { message -> value }

local function of(m)
  local d = derived[m]
  if not d then
    d = {}
    derived[m] = d
  end
  return d
end

local function kind(k)
  local t = KEPT[k]
  if not t then
    t = setmetatable({}, WEAK)
    KEPT[k] = t
  end
  return t
end

-- make(m), made once and kept with m under k (a nil too)
local function derive(m, k, make)
  local t = KEPT[k] or kind(k)
  local v = t[m]
  if v == nil then
    v = make(m)
    if v == nil then t[m] = NONE else t[m] = v end
    return v
  end
  if v == NONE then return nil end
  return v
end

-- Header values as a flat list: comma lists split, each trimmed. Only
-- for headers whose values never hold a comma of their own (Via,
-- Record-Route with <> URIs, Require, Supported). The list is kept
-- with the message: read it, never change it.
local VALUES = {}   -- header name -> { message -> list }
local EMPTY = {}    -- the list of a header absent (never changed)

local function values(m, name)
  local lists = VALUES[name]
  if not lists then
    lists = setmetatable({}, WEAK)
    VALUES[name] = lists
  end
  local out = lists[m]
  if out then return out end
  -- a header the message has not: one empty list for all (no list of
  -- its lines made to find none)
  if not m:header(name) then
    lists[m] = EMPTY
    return EMPTY
  end
  out = {}
  local list_ = m:headers(name)
  for i_ = 1, #list_ do
    local v = list_[i_]
    if not v:find(",", 1, true) then
      -- one value: the split below would give it alone
      v = trim(v)
      if v ~= "" then out[#out + 1] = v end
    else
      for part in (v .. ","):gmatch("([^,]*),") do
        part = trim(part)
        if part ~= "" then out[#out + 1] = part end
      end
    end
  end
  lists[m] = out
  return out
end

local function has_option(m, name, option)
  local list_ = values(m, name)
  for i_ = 1, #list_ do
    local v = list_[i_]
    if v:lower() == option then return true end
  end
  return false
end

-- Are two messages of the wire the same bytes (a.raw == b.raw)? t:wire()
-- numbers each message's bytes (bytes_of: the seq of the first message
-- with them, l_msg.c), which tells without a copy of either made (each
-- first read of m.raw copies its bytes); a message without one (not of
-- t:wire(), or a wire too long for it) has its bytes compared.
local function same_bytes(a, b)
  if a == b then return true end
  local x, y = a.bytes_of, b.bytes_of
  if x and y then return x == y end
  return a.raw == b.raw
end

local function same_list(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

local function show_list(l)
  return "[" .. table.concat(l, " | ") .. "]"
end

local function make_rseq(m)
  local v = m:header("RSeq")
  return v and tonumber(trim(v))
end

local function rseq(m)
  return derive(m, "rseq", make_rseq)
end

local function make_is_sdp(m)
  -- no body, no SDP: the headers of most requests and answers in a
  -- dialog (ACK, BYE, its 200) need not be read for it
  if m.body == "" then return false end
  local ct = m:header("Content-Type")
  -- (as most peers write it: no copy lowered, no pattern)
  if ct == "application/sdp" then return true end
  return ct and ct:lower():match("^%s*application/sdp") and m.body ~= ""
end

local function is_sdp(m)
  return derive(m, "sdp", make_is_sdp)
end

-- The From tag of a message, or nil.
local function make_from_tag(m)
  local v = m:header("From")
  return v and v:match(";%s*[tT][aA][gG]%s*=%s*([^;%s>]+)")
end

local function from_tag(m)
  return derive(m, "from_tag", make_from_tag)
end

-- The INVITE the UAS got for the UAC's call c: the one with its Call-ID;
-- else (a proxy that hides the topology masks the Call-ID, Via, Contact
-- and Record-Route) the one with its From tag and CSeq, which a proxy
-- keeps (RFC 3261 16.6 changes neither). c.uas_id is its Call-ID.
local function match_leg(c, uas_invites, claimed)
  local m = uas_invites[c.id]
  if not m then
    local tag = from_tag(c.invite)
    for i_ = 1, #uas_invites do
      local u = uas_invites[i_]
      if not claimed[u] and tag and from_tag(u) == tag and
         u.cseq == c.invite.cseq then
        m = u
        break
      end
    end
  end
  if m then
    claimed[m] = true
    c.uas_invite, c.uas_id = m, m.call_id
  end
end

-- Is m one of call c's messages, on the UAC's side or on the UAS's?
local function of_call(c, m)
  if m.role == "uas" then return c.uas_id ~= nil and m.call_id == c.uas_id end
  return m.call_id == c.id
end

-- What the rules derive from a call (its responses without copies,
-- its reliable provisionals, ...) is made once a run and kept in the
-- call's table, c[CALL]: 38 rules look at each call, most through the
-- same few lists. A list kept is shared: read it, never change it.
local CALL = {}

local function once(c, k, make)
  local d = c[CALL]
  if not d then
    -- room for the eight lists most calls keep, made at once (a table
    -- grown key by key is made again at 1, 2, 4 and 8 keys)
    d = { unique = nil, answers = nil, reliables = nil, uas_view = nil,
          side_msgs = nil, sdps = nil, busy = nil, prack_replay = nil }
    c[CALL] = d
  end
  local v = d[k]
  if v == nil then
    v = make(c)
    d[k] = v
  end
  return v
end

-- Responses without retransmissions: c.responses itself when it has
-- none (most calls; a kept list is read, never changed).
local function make_unique(c)
  local responses = c.responses
  local first
  for i = 1, #responses do
    if responses[i].retransmission then
      first = i
      break
    end
  end
  if not first then return responses end
  local out = {}
  for i = 1, first - 1 do out[i] = responses[i] end
  for i = first + 1, #responses do
    local r = responses[i]
    if not r.retransmission then out[#out + 1] = r end
  end
  return out
end

local function unique(c)
  return once(c, "unique", make_unique)
end

-- The UAS's answers to the INVITE's offer (its 18x and 2xx with SDP),
-- each distinct SDP once: what the offer/answer rules judge.
local function make_answers(c)
  local out, seen = {}, {}
  if not is_sdp(c.invite) then return out end
  local list_ = unique(c)
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status > 100 and r.status < 300 and is_sdp(r) and
       not seen[r.body] then
      seen[r.body] = true
      out[#out + 1] = r
    end
  end
  return out
end

local function answers(c)
  return once(c, "answers", make_answers)
end

-- A provisional with the status code the case asked for (with none
-- asked for, any provisional): what a case's own rules look at.
local function asked(r, ctx)
  return r.status < 200 and r.status == (ctx.status or r.status)
end

local function final(c)
  local list_ = c.responses
  for i_ = 1, #list_ do
    local r = list_[i_]
    if r.status >= 200 then return r end
  end
end

-- What makes a response this response and not another one: status,
-- the header names in order and the body (R-RSEQ-1: "another status,
-- body or header set"). Two messages with the same identity whose bytes
-- differ are one response sent again with other bytes (R-RETX-1 says
-- whether that is allowed); two identities are two responses.
-- The header names, joined by commas, are kept with the message; the
-- three parts are compared one by one (no string of the three joined:
-- that copied every reliable provisional's body twice a call).
local function make_header_names(m)
  -- the common case (every head line ends in CR LF, no other CR or LF
  -- in it) read in C, with plain scans: m.header_names (l_msg.c)
  local names = m.header_names
  if names then return names end
  local head = (m.raw or ""):match("^(.-)\r?\n\r?\n") or m.raw or ""
  local start = true
  local list = {}
  for line in head:gmatch("[^\r\n]+") do
    local name = not start and line:match("^([^:%s]+)%s*:")
    if name then list[#list + 1] = name:lower() end
    start = false
  end
  return table.concat(list, ",")
end

local function header_names(m)
  return derive(m, "names", make_header_names)
end

local function same_identity(a, b)
  return a == b or a.status == b.status and
         header_names(a) == header_names(b) and
         (a.body or "") == (b.body or "")
end

-- Reliable provisionals, in order of first arrival, one entry each:
-- { rseq =, first = msg, copies = {msgs}, reuse = entry? }. Copies of
-- one response (same identity) are its retransmissions; a different
-- response with an RSeq already used is an entry of its own, with
-- reuse = the entry that had the RSeq first (R-RSEQ-1 blames it; the
-- other rules do not take it for a retransmission). by[rseq] is the
-- first entry with that RSeq.
local function make_reliables(c)
  local list, by, more = {}, {}, nil
  local responses = c.responses
  for i = 1, #responses do
    local r = responses[i]
    local n = r.status < 200 and r.status > 100 and rseq(r)
    if n then
      -- the entries with this RSeq: most often one, the first
      local e = by[n]
      if e and not same_identity(r, e.first) then
        e = nil
        local others = more and more[n]
        for k = 1, others and #others or 0 do
          if same_identity(r, others[k].first) then
            e = others[k]
            break
          end
        end
        if not e then
          e = { rseq = n, first = r, copies = {}, reuse = by[n] }
          more = more or {}
          more[n] = more[n] or {}
          more[n][#more[n] + 1] = e
          list[#list + 1] = e
        end
      elseif not e then
        e = { rseq = n, first = r, copies = {} }
        by[n] = e
        list[#list + 1] = e
      end
      e.copies[#e.copies + 1] = r
    end
  end
  return { list, by }
end

local function reliables(c)
  local r = once(c, "reliables", make_reliables)
  return r[1], r[2]
end

-- Was RSeq n used by two different responses (R-RSEQ-1)? The entry of
-- the second one, or nil.
local function reused(list, n)
  for i_ = 1, #list do
    local e = list[i_]
    if e.rseq == n and e.reuse then return e end
  end
end

local function wire_end(c)
  local last = c.wire[#c.wire]
  return last and last.time or 0
end

-- A Via value with the parameters a server transport may add on the
-- way (received, rport's value: RFC 3261 18.2.1, RFC 3581) taken out,
-- and the rest in a fixed order.
-- (read with plain finds: every response's top Via, every call)
local function via_core(v)
  local find, sub = string.find, string.sub
  local semi = find(v, ";", 1, true)
  local head = semi and sub(v, 1, semi - 1) or v
  local kept = {}
  while semi do
    local after = find(v, ";", semi + 1, true)
    local p = sub(v, semi + 1, (after or 0) - 1)
    local eq = find(p, "=", 1, true)
    local name = trim(eq and sub(p, 1, eq - 1) or p)
    -- only a name of 8 or 5 bytes can be either
    local drop = (#name == 8 or #name == 5) and
                 (name:lower() == "received" or name:lower() == "rport")
    if not drop then kept[#kept + 1] = trim(p) end
    semi = after
  end
  table.sort(kept)
  return trim(head) .. ";" .. table.concat(kept, ";")
end

-- Sorts a list of messages by seq (wire order), unless it is in that
-- order already: most lists are made in wire order, and table.sort
-- calls its Lua comparison for every pair it looks at.
local function by_seq(a, b) return (a.seq or 0) < (b.seq or 0) end

local function sort_seq(list)
  local last = -math.huge
  for i = 1, #list do
    local s = list[i].seq or 0
    if s < last then
      table.sort(list, by_seq)
      return list
    end
    last = s
  end
  return list
end

local function slack(ctx)
  return math.max(30, ctx.t1 // 4)
end

-- A request challenged (401, 407) and sent again with credentials has a
-- new CSeq (docs/network.md): a call is judged on its latest INVITE, the
-- challenge round (the INVITE before, its 401 or 407, their ACK) is the
-- challenger's business. superseded(m) is true for those messages; nil
-- when there are none.
local function challenge_rounds(wire)
  -- only an INVITE answered 401 or 407 is a round: a re-INVITE (a
  -- higher CSeq in the dialog, docs/early-dialog.md) supersedes nothing
  local challenged = {}
  for i_ = 1, #wire do
    local m = wire[i_]
    -- (a request's status is nil, read in C each time: not asked)
    if m.call_id and not m.request and (m.status == 401 or
       m.status == 407) and m.cseq_method == "INVITE" and
       m.role ~= "peer" then
      challenged[m.role .. " " .. m.call_id .. " " .. m.cseq] = true
    end
  end
  -- most tests have no challenge: nothing is superseded (nil: no
  -- function to call for each message)
  if next(challenged) == nil then return nil end
  return function(m)
    return m.call_id ~= nil and m.cseq ~= nil and
           (m.cseq_method == "INVITE" or m.cseq_method == "ACK") and
           challenged[m.role .. " " .. m.call_id .. " " .. m.cseq] == true
  end
end

-- The top Via's branch of a message
local function top_branch(m)
  local via = values(m, "Via")[1]
  return via and via:match(";%s*[bB][rR][aA][nN][cC][hH]%s*=%s*([^;%s,]+)")
end

-- A request's method and CSeq number, as one key
local function req_key(m) return m.method .. " " .. m.cseq end

-- Requests the UAC sent again under the same CSeq with another branch
-- (a scenario's merged copy, RFC 3261 8.2.2.2: another transaction,
-- which the UAS answers 482 or as a request of its own) are not the
-- call's INVITE or PRACK: taken out of c.invite_copies, c.pracks and
-- c.dialog with the responses on their branch, into c.merged = {
-- { request =, answers = { ... } } }. Only read when a method and CSeq
-- came twice in different bytes (retransmissions are the same bytes).
local function split_merged(c, twice)
  local first, merged = {}, {}
  local list_ = { c.invite_copies, c.pracks, c.dialog }
  for i_ = 1, #list_ do
    local list = list_[i_]
    for i_ = 1, #list do
      local m = list[i_]
      local key = m.sent and m.request and req_key(m)
      if key and twice[key] then
        local b = top_branch(m)
        if not first[key] then first[key] = b
        elseif b and b ~= first[key] and not merged[b] then
          merged[b] = { request = m, answers = {} }
          c.merged[#c.merged + 1] = merged[b]
        end
      end
    end
  end
  if #c.merged == 0 then return end
  local function keep(list)
    local out = {}
    for i_ = 1, #list do
      local m = list[i_]
      local b = top_branch(m)
      local x = b and merged[b]
      if not x then
        out[#out + 1] = m
      elseif not m.request and not m.sent then
        x.answers[#x.answers + 1] = m
      elseif not (m.request and m.sent) then
        out[#out + 1] = m
      end   -- else the merged request, its copies, its CANCEL: out
    end
    return out
  end
  c.invite_copies = keep(c.invite_copies)
  c.pracks = keep(c.pracks)
  c.dialog = keep(c.dialog)
  c.responses = keep(c.responses)
  c.prack_answers = keep(c.prack_answers)
end

-- The wire's messages sorted into calls (order: each Call-ID the UAC
-- used, by its first message), each side's messages by Call-ID (sides),
-- and the INVITEs the UAS got (uas_invites: in order, and by Call-ID).
local function sort_wire(wire)
  local by, order = {}, {}
  local uas_invites = {}
  -- each side's messages of each call, in wire order (superseded ones
  -- too): what the rules that read one side of a call go through
  -- (W.side), instead of the whole wire again each
  local sides = { uac = {}, uas = {} }
  local superseded = challenge_rounds(wire)
  local function call(id)
    local c = by[id]
    if not c then
      c = { id = id, responses = {}, pracks = {}, prack_answers = {},
            invite_copies = {}, dialog = {}, wire = wire,
            superseded = superseded, merged = {}, sent_reqs = {} }
      by[id] = c
      order[#order + 1] = c
    end
    return c
  end
  for i = 1, #wire do
    local m = wire[i]
    local id = m.call_id
    local side = id and sides[m.role]
    if side then
      local l = side[id]
      if l then
        l[#l + 1] = m
      else
        -- room for eight made at once (a call's side: INVITE, PRACK,
        -- ACK, BYE and their answers), not grown at 2, 4 and 8
        side[id] = { m, nil, nil, nil, nil, nil, nil, nil }
      end
    end
    if superseded and superseded(m) then goto next end
    if m.role == "uas" and m.call_id and not m.sent and
       m.method == "INVITE" and not uas_invites[m.call_id] then
      -- the INVITE as the UAS got it (through a proxy: with its
      -- Record-Route)
      uas_invites[m.call_id] = m
      uas_invites[#uas_invites + 1] = m
    end
    if m.role == "uac" and m.call_id then
      local c = call(m.call_id)
      if m.sent and m.request and m.method ~= "ACK" and
         not m.retransmission then
        -- a method and CSeq the UAC sent before, in other bytes; by
        -- CSeq number the method, or a set of them (a CANCEL has its
        -- INVITE's): no string made of the two for every request
        local sent, method, cseq = c.sent_reqs, m.method, m.cseq
        local seen = sent[cseq]
        if seen == nil then
          sent[cseq] = method
        elseif seen == method or type(seen) == "table" and seen[method] then
          c.twice = c.twice or {}
          c.twice[req_key(m)] = true
        else
          if type(seen) ~= "table" then
            seen = { [seen] = true }
            sent[cseq] = seen
          end
          seen[method] = true
        end
      end
      -- a re-INVITE (another CSeq) and its answers belong to the
      -- dialog's other requests, not to the INVITE's transaction
      local other = c.invite and m.cseq ~= c.invite.cseq
      if m.sent and m.method == "INVITE" and not other then
        if not c.invite then c.invite = m end
        c.invite_copies[#c.invite_copies + 1] = m
      elseif m.sent and m.method == "PRACK" then
        c.pracks[#c.pracks + 1] = m
      elseif m.request then
        -- the rest of the dialog, both ways, in order (siptap.checkers.
        -- dialog): what the UAC sent and what the peer sent it
        c.dialog[#c.dialog + 1] = m
      elseif not m.sent then
        if m.cseq_method == "INVITE" and not other then
          c.responses[#c.responses + 1] = m
        elseif m.cseq_method == "PRACK" then
          c.prack_answers[#c.prack_answers + 1] = m
        else
          c.dialog[#c.dialog + 1] = m
        end
      else
        c.dialog[#c.dialog + 1] = m
      end
    end
    ::next::
  end
  return order, uas_invites, sides
end

-- The calls of the wire, as the UAC saw them, in order of their INVITE.
-- A call whose INVITE reached siptap's UAS (through a proxy) has
-- uas_invite and uas_id; c.unmatched is true when it has none while the
-- UAS got an INVITE in this test that no call could be matched with.
-- core: the same sort made in C (t:_views(true), l_calls.c), given for
-- a wire it could sort (no challenge, no request sent twice under one
-- CSeq, not long): used as it is.
function W.calls(wire, core)
  local order, uas_invites, sides, views
  if core then
    order, uas_invites, sides = core.calls, core.uas_invites, core.sides
    views = core.uas_views
  else
    order, uas_invites, sides = sort_wire(wire)
  end
  local out, claimed = {}, {}
  for i_ = 1, #order do
    local c = order[i_]
    if c.twice then split_merged(c, c.twice) end
    c.sent_reqs = nil
    c.sides = sides
    c.uas_views = views
    if c.invite then
      out[#out + 1] = c
      match_leg(c, uas_invites, claimed)
    end
  end
  local stray = false
  for _, u in ipairs(uas_invites) do stray = stray or not claimed[u] end
  for _, c in ipairs(out) do c.unmatched = stray and not c.uas_invite end
  return out
end

-- The messages of one side ("uac" or "uas") of call c, in wire order
-- (the UAS's: of the INVITE matched with c, none without one): kept by
-- W.calls; a call made otherwise has its side read off its wire.
local NO_MSGS = {}

local function side(c, role)
  local id = role == "uas" and c.uas_id or role == "uac" and c.id
  if not id then return NO_MSGS end
  local sides = c.sides
  if sides then return sides[role][id] or NO_MSGS end
  local out = {}
  local list_ = c.wire
  for i_ = 1, #list_ do
    local m = list_[i_]
    if m.role == role and m.call_id == id then out[#out + 1] = m end
  end
  return out
end

W.side = side

-- The call as the UAS saw it: the INVITE it got, the responses it sent,
-- the PRACKs it got and its answers. The general rules look at it to
-- tell what the UAS did from what a proxy did on the way.
local function make_uas_view(c)
  if not c.uas_invite then return false end
  -- made in C with the calls (W.calls)
  local u = c.uas_views and c.uas_views[c.uas_id]
  if u then return u end
  u = { id = c.uas_id, invite = c.uas_invite, uas_invite = c.uas_invite,
        uas_id = c.uas_id, responses = {}, pracks = {},
        prack_answers = {}, invite_copies = {}, dialog = {},
        wire = c.wire, sides = c.sides }
  local msgs = side(c, "uas")
  for i = 1, #msgs do
    local m = msgs[i]
    if not (c.superseded and c.superseded(m)) then
      local other = m.cseq ~= c.uas_invite.cseq
      if not m.sent and m.method == "INVITE" and not other then
        u.invite_copies[#u.invite_copies + 1] = m
      elseif not m.sent and m.method == "PRACK" then
        u.pracks[#u.pracks + 1] = m
      elseif m.sent and not m.request and m.cseq_method == "INVITE" and
             not other then
        u.responses[#u.responses + 1] = m
      elseif m.sent and not m.request and m.cseq_method == "PRACK" then
        u.prack_answers[#u.prack_answers + 1] = m
      elseif m.request or m.cseq_method ~= "PRACK" and
             (m.cseq_method ~= "INVITE" or other) then
        u.dialog[#u.dialog + 1] = m
      end
    end
  end
  return u
end

-- (made once a call, as the lists above)
function W.uas_view(c)
  return once(c, "uas_view", make_uas_view) or nil
end

-- The call as the UAS saw it through a proxy (nil when its INVITE never
-- reached the UAS), else c itself: for rules about requests a stateful
-- proxy may answer itself (a stray CANCEL, a PRACK's copy), where what
-- the UAC got says nothing of the UAS.
function W.uas_side(c)
  if SIPTAP.proxy and c.invite.role == "uac" then return W.uas_view(c) end
  return c
end

-- Did the caller's side send m (the UAC, or what reached the UAS from
-- it)? In a call of W.uas_view, the UAS's messages stand for it.
local function from_caller(m)
  return (m.role == "uas") ~= (m.sent == true)
end

-- the shared readers, for the families
W.from_caller = from_caller
W.trim = trim
W.values = values
W.has_option = has_option
W.same_list = same_list
W.same_bytes = same_bytes
W.show_list = show_list
W.rseq = rseq
W.is_sdp = is_sdp
W.from_tag = from_tag
W.match_leg = match_leg
W.of_call = of_call
W.unique = unique
W.answers = answers
W.asked = asked
W.final = final
W.reliables = reliables
W.reused = reused
W.same_identity = same_identity
W.wire_end = wire_end
W.via_core = via_core
W.top_branch = top_branch
W.slack = slack
W.sort_seq = sort_seq
W.once = once
W.of = of
W.derive = derive

return W
