-- wrk script: every request carries the Authorization header from $BENCH_AUTHORIZATION (for
-- example "Basic YWRtaW46…" or "Bearer bws_…"), and a response other than 200 is counted as an
-- error. At the end it writes one JSON line to $BENCH_RESULT: requests, errors (socket errors,
-- timeouts and non-200 answers), duration and latency percentiles in milliseconds.
local authorization = os.getenv("BENCH_AUTHORIZATION")
local result = os.getenv("BENCH_RESULT")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  wrk.headers["Authorization"] = authorization
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local non200 = 0
  for _, thread in ipairs(threads) do
    non200 = non200 + thread:get("bad")
  end
  local e = summary.errors
  -- wrk already counts non-2xx/3xx answers in errors.status; a non-200 2xx/3xx is added here.
  local socket = e.connect + e.read + e.write + e.timeout
  local errors = socket + math.max(e.status, non200)
  local f = assert(io.open(result, "w"))
  f:write(string.format(
    '{"requests":%d,"errors":%d,"duration_s":%.3f,"p50_ms":%.3f,"p99_ms":%.3f,"bytes":%d}\n',
    summary.requests, errors, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, summary.bytes))
  f:close()
end
