-- wrk script for bench/timeline.mjs: each request picks a random line of the
-- file named by the first script argument ("TOKEN PATH" per line) and GETs
-- PATH with that bearer token. done() prints one machine-readable line.
local lines = {}

function init(args)
    for l in io.lines(args[1]) do
        local token, path = l:match("^(%S+) (%S+)$")
        if token then lines[#lines + 1] = { token, path } end
    end
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
    local e = lines[math.random(#lines)]
    return wrk.format("GET", e[2], { ["Authorization"] = "Bearer " .. e[1] })
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT requests=%d p50=%d p95=%d p99=%d max=%d non2xx=%d sockerr=%d us=%d\n",
        summary.requests, latency:percentile(50), latency:percentile(95), latency:percentile(99),
        latency.max, e.status, e.connect + e.read + e.write + e.timeout, summary.duration))
end
