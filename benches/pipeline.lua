-- wrk script: sends DEPTH requests back to back (default 16) and waits
-- for their DEPTH responses before the next batch. wrk counts every
-- response, so its request total is responses received.
--   wrk -s benches/pipeline.lua URL -- DEPTH
init = function(args)
  local depth = tonumber(args[1]) or 16
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format()
  end
  req = table.concat(batch)
end

request = function()
  return req
end
