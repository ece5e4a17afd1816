-- wrk script of the gateway benchmark: every request is a POST of the Open Inference Protocol
-- body in the file $BENCH_BODY (made by make_bodies.py) with Content-Type: application/json and,
-- when $BENCH_TOKEN is set, Authorization: Bearer $BENCH_TOKEN (the Bulwark gateway checks it; the
-- FastAPI peer ignores it). An answer other than 200, or a 200 whose body holds no "outputs", is
-- counted as an error. At the end it writes one JSON line to $BENCH_RESULT: requests, errors
-- (socket errors, timeouts, bad answers), duration and latency percentiles in milliseconds.
local token = os.getenv("BENCH_TOKEN") or ""
local body_path = assert(os.getenv("BENCH_BODY"), "BENCH_BODY is not set")
local result = os.getenv("BENCH_RESULT")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  local f = assert(io.open(body_path, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"outputs"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local answered_bad = 0
  for _, thread in ipairs(threads) do
    answered_bad = answered_bad + thread:get("bad")
  end
  local e = summary.errors
  -- wrk already counts non-2xx/3xx answers in errors.status; the others are added here.
  local errors = e.connect + e.read + e.write + e.timeout + math.max(e.status, answered_bad)
  if result then
    local f = assert(io.open(result, "w"))
    f:write(string.format(
      '{"requests":%d,"errors":%d,"duration_s":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"bytes":%d}\n',
      summary.requests, errors, summary.duration / 1e6, latency:percentile(50) / 1e3,
      latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, summary.bytes))
    f:close()
  end
end
