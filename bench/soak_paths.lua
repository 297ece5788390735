-- bench/soak_paths.lua: wrk script for bench/soak.sh.  Rotates GET
-- requests over procwatchd's read endpoints; the pids of monitored
-- processes come as script arguments:
--
--   wrk -t2 -c16 -d300s -s bench/soak_paths.lua http://127.0.0.1:PORT -- PID...
--
-- Every response outside 200..299 is counted (wrk's own "errors.status"
-- counts only >= 400), and done() prints one machine-readable line:
--   soak: requests N bytes N connect N read N write N timeout N status N non2xx N p50_ms X p99_ms X max_ms X
-- then the requests issued per path and the non-2xx statuses seen.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

local KINDS = { "processes", "process", "samples", "metrics",
    "bottlenecks", "healthz" }

function init(args)
	pids = {}
	for _, a in ipairs(args) do
		if a:match("^%d+$") then pids[#pids + 1] = a end
	end
	if #pids == 0 then pids[1] = "1" end
	n = 0
	non2xx = 0
	codes = {}		-- status (as a string) -> count, non-2xx only
	issued = {}		-- path kind -> requests issued
	for _, k in ipairs(KINDS) do issued[k] = 0 end
end

function request()
	local kind = KINDS[n % #KINDS + 1]
	local pid = pids[math.floor(n / #KINDS) % #pids + 1]
	local path
	n = n + 1
	issued[kind] = issued[kind] + 1
	if kind == "processes" then
		path = "/api/v1/processes"
	elseif kind == "process" then
		path = "/api/v1/processes/" .. pid
	elseif kind == "samples" then
		path = "/api/v1/processes/" .. pid .. "/samples?limit=100"
	elseif kind == "metrics" then
		path = "/metrics"
	elseif kind == "bottlenecks" then
		path = "/api/v1/bottlenecks"
	else
		path = "/healthz"
	end
	return wrk.format("GET", path)
end

function response(status, headers, body)
	if status < 200 or status > 299 then
		local k = tostring(status)
		non2xx = non2xx + 1
		codes[k] = (codes[k] or 0) + 1
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	local bad, per, seen = 0, {}, {}
	for _, k in ipairs(KINDS) do per[k] = 0 end
	for _, t in ipairs(threads) do
		bad = bad + (t:get("non2xx") or 0)
		local iss = t:get("issued") or {}
		for _, k in ipairs(KINDS) do per[k] = per[k] + (iss[k] or 0) end
		for c, v in pairs(t:get("codes") or {}) do
			seen[c] = (seen[c] or 0) + v
		end
	end
	io.write(string.format("soak: requests %d bytes %d connect %d read %d "
	    .. "write %d timeout %d status %d non2xx %d p50_ms %.2f "
	    .. "p99_ms %.2f max_ms %.2f\n",
	    summary.requests, summary.bytes, e.connect, e.read, e.write,
	    e.timeout, e.status, bad, latency:percentile(50) / 1000,
	    latency:percentile(99) / 1000, latency.max / 1000))
	local line = "soak: issued"
	for _, k in ipairs(KINDS) do
		line = line .. string.format(" %s %d", k, per[k])
	end
	io.write(line .. "\n")
	line = "soak: non2xx_codes"
	for c, v in pairs(seen) do line = line .. " " .. c .. ":" .. v end
	io.write(line .. "\n")
end
