-- siptap.cases: the cases of an option matrix, as value indexes, one
-- list per case (case[d] is the index of a value of dimension d):
-- pairwise(dims, seed) covers every pair of values of any two dimensions
-- in at least one case, full(dims) is every combination. siptap.matrix
-- uses them; a run generates its cases once and keeps them in
-- SIPTAP.memo, so that a test's Lua state does not load this module.

local M = {}

-- A small deterministic generator (xorshift), so that the cases depend on
-- --seed only, not on math.random's state.
local function rng(seed)
  local x = (seed % 2147483647) + 1
  return function(n)
    x = x ~ (x << 13) & 0xffffffff
    x = x ~ (x >> 17)
    x = x ~ (x << 5) & 0xffffffff
    return x % n + 1
  end
end

-- A pair of (dimension, value) as one integer: dimensions and values
-- are fewer than 16 each. Integer keys keep the generator cheap.
local function pair_key(i, a, j, b)
  return ((i * 16 + a) * 16 + j) * 16 + b
end

local function pair_of(k)
  return k // 4096, k // 256 % 16, k // 16 % 16, k % 16
end

-- Greedy pairwise (in the manner of AETG): each new case is the best of
-- a few candidates, each built dimension by dimension, choosing the value
-- that covers most pairs not yet covered.
function M.pairwise(dims, seed)
  local rand = rng(seed)
  local uncovered, left = {}, 0
  for i = 1, #dims do
    for j = i + 1, #dims do
      for a = 1, #dims[i].values do
        for b = 1, #dims[j].values do
          uncovered[pair_key(i, a, j, b)] = true
          left = left + 1
        end
      end
    end
  end

  local function gain(case, d, v)
    local g = 0
    for e, w in pairs(case) do
      local k = e < d and pair_key(e, w, d, v) or pair_key(d, v, e, w)
      if uncovered[k] then g = g + 1 end
    end
    return g
  end

  local cases = {}
  while left > 0 do
    local best, best_gain = nil, -1
    -- the uncovered pairs in a fixed order (pairs() has none)
    local keys = {}
    for k in pairs(uncovered) do keys[#keys + 1] = k end
    table.sort(keys)
    for _ = 1, 20 do
      local case = {}
      -- start from an uncovered pair, so that every case makes progress
      local i, a, j, b = pair_of(keys[rand(#keys)])
      case[i], case[j] = a, b
      -- the other dimensions in a random order
      local order = {}
      for d = 1, #dims do
        if not case[d] then order[#order + 1] = d end
      end
      for k = #order, 2, -1 do
        local r = rand(k)
        order[k], order[r] = order[r], order[k]
      end
      for _, d in ipairs(order) do
        local bv, bg = 1, -1
        local start = rand(#dims[d].values)
        for n = 0, #dims[d].values - 1 do
          local v = (start + n - 1) % #dims[d].values + 1
          local g = gain(case, d, v)
          if g > bg then bv, bg = v, g end
        end
        case[d] = bv
      end
      local g = 0
      for d = 1, #dims do
        for e = d + 1, #dims do
          if uncovered[pair_key(d, case[d], e, case[e])] then g = g + 1 end
        end
      end
      if g > best_gain then best, best_gain = case, g end
    end
    for d = 1, #dims do
      for e = d + 1, #dims do
        local k = pair_key(d, best[d], e, best[e])
        if uncovered[k] then
          uncovered[k] = nil
          left = left - 1
        end
      end
    end
    cases[#cases + 1] = best
  end
  return cases
end

function M.full(dims)
  local cases = { {} }
  for d = 1, #dims do
    local next_cases = {}
    for _, c in ipairs(cases) do
      for v = 1, #dims[d].values do
        local n = table.move(c, 1, #c, 1, {})
        n[d] = v
        next_cases[#next_cases + 1] = n
      end
    end
    cases = next_cases
  end
  return cases
end

return M
