-- wrk script for bench/load.py: after the run, print what wrk --latency leaves out.
-- p95 (and p50, p99) latency in microseconds, requests, the run's duration, and the answers that
-- were not 2xx/3xx or failed, one "key value" per line after a marker line.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write("--- bilim load ---\n")
  io.write(string.format("p50_us %d\n", latency:percentile(50)))
  io.write(string.format("p95_us %d\n", latency:percentile(95)))
  io.write(string.format("p99_us %d\n", latency:percentile(99)))
  io.write(string.format("max_us %d\n", latency.max))
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("duration_us %d\n", summary.duration))
  io.write(string.format("non2xx %d\n", errors.status))
  io.write(string.format("socket_errors %d\n",
    errors.connect + errors.read + errors.write + errors.timeout))
end
