"""wrk (the Debian package) driven from Python: one Lua script per run, the figures back as a dict.

The script rotates through the given paths and bearer tokens, so one run can be "50 different events' detail"
or "a join by each of 2,000 volunteers". ``{n}`` in a path becomes a number unique to the request (the
uncached pages: every request asks for a page no cache has seen). Latencies are wrk's own histogram (µs).
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

_runs = itertools.count()  # each run of this process numbers its requests from its own block: no cache repeats
SCRIPT = r"""
local paths = {%(paths)s}
local tokens = {%(tokens)s}
local method, body = "%(method)s", %(body)s
local threads, step, start, counter = 0, %(threads)d, %(start)d, 0

local all = {}
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
  table.insert(all, thread)
end

function init(args)
  -- thread k makes requests k, k + step, k + 2 step, ...: no two threads repeat a pair; `start` differs per run
  counter = start + id
end

local function unique(n)
  -- a distinct instant of 2000-01-01 for each request: a filter every event passes, a key no cache holds
  local micro, sec = n %% 1000000, math.floor(n / 1000000)
  return string.format("2000-01-01T%%02d:%%02d:%%02d.%%06dZ", math.floor(sec / 3600) %% 24,
                       math.floor(sec / 60) %% 60, sec %% 60, micro)
end

function request()
  local n = counter
  counter = counter + step
  local path = paths[((n - start) %% #paths) + 1]
  if string.find(path, "{n}", 1, true) then
    path = string.gsub(path, "{n}", unique(n))
  end
  local headers = {}
  if #tokens > 0 then
    -- with several paths: every token meets every path before a pair repeats
    headers["Authorization"] = "Bearer " .. tokens[(math.floor((n - start) / #paths) %% #tokens) + 1]
  end
  if body ~= nil then headers["Content-Type"] = "application/json" end
  return wrk.format(method, path, headers, body)
end

%(statuses)s

function done(summary, latency, requests)
  local e = summary.errors
  local seen = {}
  for _, thread in ipairs(all) do
    for code, n in pairs(thread:get("statuses") or {}) do seen[code] = (seen[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(seen) do table.insert(parts, string.format('"%%d": %%d', code, n)) end
  io.write(string.format(
    'WRK-JSON {"requests": %%d, "duration_us": %%d, "bad_status": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, ", ")))
end
"""
# Only for writes: a response() hook makes wrk hand every response to Lua, which would slow the GET floors.
STATUSES = r"""
statuses = {}
function response(status, headers, body)
  if status >= 300 then statuses[status] = (statuses[status] or 0) + 1 end
end
"""


@dataclass
class Result:
    requests: int
    seconds: float
    bad_status: int  # responses outside 2xx/3xx
    socket_errors: int
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]  # the non-2xx responses by status (writes only)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.bad_status == 0 and self.socket_errors == 0


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_strings(values: list[str]) -> str:
    return ", ".join(json.dumps(value) for value in values)  # JSON string literals are valid Lua for ASCII


def run(base_url: str, paths: list[str], *, tokens: list[str] | None = None, method: str = "GET",
        body: str | None = None, connections: int = 50, threads: int = 2, seconds: float = 10) -> Result:  # fmt: skip
    script = SCRIPT % {
        "paths": _lua_strings(paths), "tokens": _lua_strings(tokens or []), "method": method,
        "body": json.dumps(body) if body is not None else "nil", "threads": threads, "start": next(_runs) * 10**8,
        "statuses": STATUSES if method != "GET" else "",
    }  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-") as file:
        file.write(script)
        file.flush()
        cmd = ["wrk", "--latency", "-t", str(threads), "-c", str(max(connections, threads)),
               "-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", file.name, base_url]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)  # noqa: S603
    line = next((line for line in out.stdout.splitlines() if line.startswith("WRK-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    data = json.loads(line.removeprefix("WRK-JSON "))
    return Result(requests=data["requests"], seconds=data["duration_us"] / 1e6, bad_status=data["bad_status"],
                  socket_errors=data["socket_errors"], p50_ms=data["p50_us"] / 1000,
                  p99_ms=data["p99_us"] / 1000, statuses=data["statuses"])  # fmt: skip
