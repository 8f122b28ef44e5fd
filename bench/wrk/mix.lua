-- wrk script for the soak (`make bench-soak`): each request takes the next path of
-- WRK_PATHS (comma-separated), so one run exercises the pages a congress really serves.
-- Counts answers like status.lua and prints the same BENCH_JSON line at the end.

local paths = {}
for path in string.gmatch(os.getenv("WRK_PATHS") or "/", "[^,]+") do
  table.insert(paths, path)
end
local next_path = 0

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

dofile(os.getenv("WRK_STATUS_SCRIPT"))
