-- siptap.checkers: one checker per rule id of conformance.md (sections
-- A, B, C) and of what a proxy must do, over the wire as siptap's UAC saw
-- it: the INVITE it sent, every response it received (retransmissions
-- included), its PRACKs and their answers. A checker returns the
-- violations it found and how many things it looked at.
--
-- This index builds the rule table from one file a rule family, each
-- opening with the rules it holds:
--
--   provisional.lua  P-*   every provisional response (section A)
--   reliable.lua     R-*   reliable provisionals, 100rel (section B)
--   sdp.lua          S-*   SDP in provisionals (section C)
--   webrtc.lua       S-RTC-*  answers to offers in the WebRTC profile
--   proxy.lua        PX-*  what a proxy must do (--proxy)
--   message.lua      P-WIRE-1  every message as bytes (over the whole wire)
--   dialog.lua       R-PRACK-4 P-BYE-1 P-UPD-1 P-UPD-2  the dialog's requests
--   wire.lua         the calls of the wire, what the families share
--
-- Scenarios use them through siptap.rules, which loads this module for
-- the time of one check: a test that waits holds none of it. So the
-- parts are let go here too, as soon as the table is built.

local FAMILIES = { "provisional", "reliable", "sdp", "webrtc", "proxy",
                   "message", "dialog" }

local W = require "siptap.checkers.wire"

-- scopes: id -> "wire" for a checker of the whole wire (see W.family)
local M = { calls = W.calls, uas_view = W.uas_view, rules = {}, titles = {},
            scopes = {} }

for i_ = 1, #FAMILIES do
  local family = FAMILIES[i_]
  local list_ = require("siptap.checkers." .. family)
  for i_ = 1, #list_ do
    local r = list_[i_]
    assert(not M.rules[r.id], "siptap.checkers: two checkers for " .. r.id)
    M.rules[r.id], M.titles[r.id], M.scopes[r.id] = r.fn, r.title, r.scope
  end
end
M.peer_sent = W.peer_sent
M.slack = W.slack         -- the timing rules' slack (siptap.rules)

for name in pairs(package.loaded) do
  if name:find("^siptap%.checkers%.") then package.loaded[name] = nil end
end

return M
