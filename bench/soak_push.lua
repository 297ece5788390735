-- bench/soak_push.lua: wrk script for bench/soak.sh.  POSTs a batch of
-- custom series values to /api/v1/custom, then waits PUSH_MS before the
-- next one (run it with -t1 -c1: one batch every PUSH_MS ms plus the
-- response time).  Arguments: the API token, the batch size, PUSH_MS and
-- up to 10 pids of monitored processes:
--
--   wrk -t1 -c1 -d300s -s bench/soak_push.lua http://127.0.0.1:PORT -- TOKEN 50 100 PID...
--
-- The first 10 values of a batch (or one per pid given, if fewer) go to
-- process series "soak_queue", the rest to host series "soak_load" with a
-- label shard="sN".  A response that is not 200 with "accepted":BATCH is a
-- failure; done() prints one machine-readable line:
--   push: requests N connect N read N write N timeout N status N failed N p50_ms X p99_ms X max_ms X

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	local token = args[1] or ""
	batch = tonumber(args[2]) or 50
	pause = tonumber(args[3]) or 100
	pids = {}
	for i = 4, #args do
		if #pids < 10 and args[i]:match("^%d+$") then
			pids[#pids + 1] = args[i]
		end
	end
	wrk.method = "POST"
	wrk.path = "/api/v1/custom"
	wrk.headers["Authorization"] = "Bearer " .. token
	wrk.headers["Content-Type"] = "application/json"
	want = '"accepted":' .. batch
	n = 0
	failed = 0
	first = ""		-- the first failure, for the report
end

function request()
	local items = {}
	n = n + 1
	for i = 0, batch - 1 do
		if i < #pids then
			items[#items + 1] = string.format(
			    '{"name":"soak_queue","value":%d,"pid":%s}',
			    (n * 7 + i) % 1000, pids[i + 1])
		else
			items[#items + 1] = string.format(
			    '{"name":"soak_load","value":%d.5,'
			    .. '"labels":{"shard":"s%d"}}', n + i, i)
		end
	end
	return wrk.format(nil, nil, nil, "[" .. table.concat(items, ",") .. "]")
end

function delay()
	return pause
end

function response(status, headers, body)
	if status ~= 200 or not (body and body:find(want, 1, true)) then
		failed = failed + 1
		if first == "" then
			first = "HTTP " .. status .. ": " ..
			    string.sub(body or "", 1, 200)
		end
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	local bad, why = 0, ""
	for _, t in ipairs(threads) do
		bad = bad + (t:get("failed") or 0)
		local f = t:get("first") or ""
		if why == "" then why = f end
	end
	io.write(string.format("push: requests %d connect %d read %d write %d "
	    .. "timeout %d status %d failed %d p50_ms %.2f p99_ms %.2f "
	    .. "max_ms %.2f\n",
	    summary.requests, e.connect, e.read, e.write, e.timeout,
	    e.status, bad, latency:percentile(50) / 1000,
	    latency:percentile(99) / 1000, latency.max / 1000))
	if why ~= "" then io.write("push: first failure " .. why .. "\n") end
end
