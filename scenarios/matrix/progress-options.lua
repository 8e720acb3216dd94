-- Every pair of progress() option values, against every way an INVITE can
-- speak of 100rel and offer SDP (siptap run --matrix full: every
-- combination). The cases come from siptap.matrix and depend on --seed
-- only; each states what the wire must show and checks it.
local matrix = require "siptap.matrix"

-- tests() declares them all at once: a test's own Lua state makes only
-- the case it runs (--matrix full has 17280)
local cases = matrix.case_list{ seed = SIPTAP.seed, matrix = SIPTAP.matrix }
tests(cases.count, function(i) return matrix.name(cases.at(i)) end,
      function(i)
        local case = cases.at(i)
        return function(t) matrix.run(t, case) end
      end)
