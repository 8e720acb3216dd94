-- Every pair of progress() option values, against every way an INVITE can
-- speak of 100rel and offer SDP (siptap run --matrix full: every
-- combination). The cases come from siptap.matrix and depend on --seed
-- only; each states what the wire must show and checks it.
local matrix = require "siptap.matrix"

for _, case in ipairs(matrix.cases{ seed = SIPTAP.seed,
                                    matrix = SIPTAP.matrix }) do
  test(matrix.name(case), function(t) matrix.run(t, case) end)
end
