-- SPDX-License-Identifier: ISC
-- wrk script of script/bench. One script for every endpoint so that the
-- client does the same work everywhere; the mode comes from the
-- environment:
--   BENCH_MODE     floor | me | users | refresh | login | register | prep
--                  | social | pages
--   BENCH_TOKEN    me, users: the access token (users: an admin's)
--   BENCH_QUERY    users: the query string of GET /api/v1/users
--   BENCH_TOKENS   refresh: file of refresh tokens, one a line, each used
--                  once (line i goes to thread i mod BENCH_THREADS)
--   BENCH_THREADS  wrk's -t (to split the token file)
--   BENCH_EMAIL, BENCH_PASSWORD   login/prep credentials
--   BENCH_ACCOUNTS, BENCH_BASE    prep: BENCH_EMAIL is a format with one
--                  %d, and request i of the run (over all threads) signs
--                  in as account (BENCH_BASE + i) mod BENCH_ACCOUNTS, so
--                  that no account passes AUTH_MAX_SESSIONS
--   BENCH_POOL     social: file of Google ID tokens, one a line, sent in
--                  turn (thread i starts at line i; bench/social.py)
--   BENCH_RUNID    register: makes the generated addresses unique per run
--   BENCH_OUT      prep: folder where each thread writes the refresh tokens
--                  it received (tokens.<thread>)
-- done() prints one machine-readable line:
--   RESULT requests=N duration_us=D rps=R p50_us=A p99_us=B non2xx=E
--          sockerr=S exhausted=X
-- non2xx is wrk's count of answers with a status above 399 (these
-- endpoints answer 200/204 or an error, never 1xx/3xx); sockerr adds
-- connect, read, write errors and timeouts; exhausted counts refresh
-- requests sent after this thread ran out of tokens (they carry no
-- token, answer 401 and are in non2xx too).

local mode = os.getenv("BENCH_MODE") or "floor"
local threads = {}
local counter = 0

function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

local req_fixed
local tokens = {}
local next_token = 1
local n = 0
exhausted = 0
local out

local json = { ["Content-Type"] = "application/json" }

local function login_body()
	return string.format('{"email":"%s","password":"%s"}',
		os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD"))
end

function init(args)
	if mode == "floor" then
		req_fixed = wrk.format("GET", "/api/v1/_floor")
	elseif mode == "me" then
		req_fixed = wrk.format("GET", "/api/v1/auth/me",
			{ ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") })
	elseif mode == "users" then
		req_fixed = wrk.format("GET", "/api/v1/users?" .. os.getenv("BENCH_QUERY"),
			{ ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") })
	elseif mode == "pages" then
		req_fixed = wrk.format("GET", "/account/signin")
	elseif mode == "social" then
		for line in io.lines(os.getenv("BENCH_POOL")) do
			if line ~= "" then
				tokens[#tokens + 1] = line
			end
		end
		next_token = 1 + tid % #tokens
	elseif mode == "login" then
		req_fixed = wrk.format("POST", "/api/v1/auth/email/login", json,
			login_body())
	elseif mode == "prep" then
		if os.getenv("BENCH_ACCOUNTS") == nil then
			req_fixed = wrk.format("POST", "/api/v1/auth/email/login",
				json, login_body())
		end
		out = assert(io.open(os.getenv("BENCH_OUT") .. "/tokens." .. tid, "a"))
		out:setvbuf("line")
	elseif mode == "refresh" then
		local nt = tonumber(os.getenv("BENCH_THREADS") or "1")
		local i = 0
		for line in io.lines(os.getenv("BENCH_TOKENS")) do
			if i % nt == tid and line ~= "" then
				tokens[#tokens + 1] = line
			end
			i = i + 1
		end
	end
end

function request()
	if req_fixed ~= nil then
		return req_fixed
	end
	if mode == "social" then
		local t = tokens[next_token]
		next_token = next_token % #tokens + 1
		return wrk.format("POST", "/api/v1/auth/google/login", json,
			'{"idToken":"' .. t .. '"}')
	end
	if mode == "refresh" then
		local t = tokens[next_token]
		if t == nil then
			exhausted = exhausted + 1
			return wrk.format("POST", "/api/v1/auth/refresh", nil, "")
		end
		tokens[next_token] = nil
		next_token = next_token + 1
		return wrk.format("POST", "/api/v1/auth/refresh",
			{ ["Authorization"] = "Bearer " .. t }, "")
	end
	if mode == "prep" then
		local nt = tonumber(os.getenv("BENCH_THREADS") or "1")
		local i = tonumber(os.getenv("BENCH_BASE") or "0") + n * nt + tid
		n = n + 1
		return wrk.format("POST", "/api/v1/auth/email/login", json,
			string.format('{"email":"%s","password":"%s"}',
				string.format(os.getenv("BENCH_EMAIL"),
					i % tonumber(os.getenv("BENCH_ACCOUNTS"))),
				os.getenv("BENCH_PASSWORD")))
	end
	-- register: a new address on every request
	n = n + 1
	return wrk.format("POST", "/api/v1/auth/email/register", json,
		string.format('{"email":"b%s-%d-%d@bench.example.com",' ..
			'"password":"bench-password-1","firstName":"Bench",' ..
			'"lastName":"User"}', os.getenv("BENCH_RUNID") or "0", tid, n))
end

if mode == "prep" then
	function response(status, headers, body)
		if status == 200 then
			local t = string.match(body, '"refreshToken":"([^"]+)"')
			if t ~= nil then
				out:write(t, "\n")
			end
		end
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	local x = 0
	for _, t in ipairs(threads) do
		x = x + (tonumber(t:get("exhausted")) or 0)
	end
	io.write(string.format(
		"RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d " ..
		"non2xx=%d sockerr=%d exhausted=%d\n",
		summary.requests, summary.duration,
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(99), e.status,
		e.connect + e.read + e.write + e.timeout, x))
end
