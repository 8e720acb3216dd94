-- For tests/bench/memory.sh: 64 calls that are all in progress at once
-- (each holds its early dialog for a second), so that the memory of a
-- worker at --jobs 64, less that at --jobs 1, is 63 concurrent tests'.
tests(64, function(i) return ("call in progress %d"):format(i) end,
  function()
    return function(t)
      local call = t:uac():invite{ supported = "100rel", sdp = true }
      local inv = t:uas():incoming()
      inv:progress{ statusCode = 183, rel100 = true }
      call:prack(call:response(183))
      t:sleep(1000)
      inv:accept()
      call:ack(call:response(200))
      t:pass("the call went through")
    end
  end)
