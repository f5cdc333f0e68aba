# SPDX-License-Identifier: ISC
"""bench/cgi.py OUT.json TMPDIR RUNS NAME=DIR...: the CGI mode of
script/bench (a process per request, as on a shared host).

For each NAME=DIR (the executables as built, and as shipped in the
shared-host bundle of script/bundle), with the app's settings taken from
the environment (BENCH_TOKEN: an access token; BENCH_EMAIL,
BENCH_PASSWORD: a login):

  me       DIR/account, GET /api/v1/auth/me: hyperfine -N, RUNS runs
  login    DIR/login, POST /api/v1/auth/email/login: the body on stdin, so
           through `sh -c 'exec login < body'`; the same sh around
           /bin/true is timed too and its time is the wrapper's
  ld.so    LD_DEBUG=statistics of 21 starts of DIR/account: the dynamic
           loader's startup and relocation, in cycles (glibc counts
           them with the time-stamp counter) and as a share of it
  libs     an empty main() linked with the same DT_NEEDED list (and, for
           the bundle, the same DT_RPATH to its lib/) next to a static
           empty main(): what loading those libraries costs a process
           before the program runs one line of its own

Writes one JSON object: {NAME: {...}, "static_empty_ms": ..., "tsc_mhz": ...}.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys


def hyperfine(cmd, runs, tmp, env=None, shell=False):
    out = os.path.join(tmp, "hf.json")
    args = ["hyperfine", "--style", "none", "--warmup", "5", "--runs",
            str(runs), "--export-json", out]
    if not shell:
        args.append("-N")
    args.append(cmd)
    subprocess.run(args, check=True, env=env, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = json.load(open(out))["results"][0]["times"]
    return {"runs": len(times),
            "mean_ms": statistics.mean(times) * 1000,
            "p50_ms": statistics.median(times) * 1000,
            "p90_ms": sorted(times)[int(len(times) * 0.9)] * 1000}


def first_line(argv, env, stdin):
    with open(stdin, "rb") as f:
        p = subprocess.run(argv, env=env, stdin=f, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    return p.stdout.split(b"\n", 1)[0].decode("latin-1").strip()


def ld_stats(exe, env, n=21):
    tot, rel, nrel, objs = [], [], [], 0
    e = dict(env, LD_DEBUG="statistics")
    for _ in range(n):
        p = subprocess.run([exe], env=e, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = p.stderr.decode("latin-1")
        m = re.search(r"total startup time in dynamic loader:\s*([\d,]+)", err)
        r = re.search(r"time needed for relocation:\s*([\d,]+)", err)
        k = re.search(r"number of relocations:\s*([\d,]+)", err)
        if m and r:
            tot.append(int(m.group(1).replace(",", "")))
            rel.append(int(r.group(1).replace(",", "")))
        if k:
            nrel.append(int(k.group(1).replace(",", "")))
    p = subprocess.run([exe], env=dict(env, LD_DEBUG="files"),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    objs = len(re.findall(r"calling init:", p.stderr.decode("latin-1")))
    if not tot:
        return None
    return {"startup_cycles": statistics.median(tot),
            "reloc_cycles": statistics.median(rel),
            "relocations": statistics.median(nrel) if nrel else 0,
            "objects_init": objs}


def needed(exe):
    p = subprocess.run(["readelf", "-d", exe], stdout=subprocess.PIPE,
                       check=True)
    d = p.stdout.decode()
    return (re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", d),
            re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r\w*path: \[([^\]]+)\]", d))


def empty_main(tmp, name, exe, libdir):
    """An empty main() with exe's DT_NEEDED (and its rpath), beside exe."""
    src = os.path.join(tmp, "empty.c")
    with open(src, "w") as f:
        f.write("int main(void) { return 0; }\n")
    libs, rpath = needed(exe)
    out = os.path.join(os.path.dirname(exe), ".bench-empty-" + name)
    args = [os.environ.get("CC", "cc"), "-O2", "-o", out, src,
            "-Wl,--no-as-needed", "-Wl,-z,now"]
    if libdir:
        args += ["-L" + libdir, "-Wl,-rpath,$ORIGIN/lib",
                 "-Wl,--disable-new-dtags"]
    args += ["-l:" + l for l in libs]
    subprocess.run(args, check=True)
    return out, libs, rpath


def main():
    out, tmp, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    env = dict(os.environ)
    cgi = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1",
           "QUERY_STRING": ""}
    me_env = dict(env, **cgi, REQUEST_METHOD="GET",
                  REQUEST_URI="/api/v1/auth/me", SCRIPT_NAME="/api/v1/auth/me",
                  HTTP_AUTHORIZATION="Bearer " + env["BENCH_TOKEN"])
    body = json.dumps({"email": env["BENCH_EMAIL"],
                       "password": env["BENCH_PASSWORD"]}).encode()
    bodyf = os.path.join(tmp, "login-body.json")
    with open(bodyf, "wb") as f:
        f.write(body)
    login_env = dict(env, **cgi, REQUEST_METHOD="POST",
                     REQUEST_URI="/api/v1/auth/email/login",
                     SCRIPT_NAME="/api/v1/auth/email/login",
                     CONTENT_TYPE="application/json",
                     CONTENT_LENGTH=str(len(body)))
    res = {}
    src = os.path.join(tmp, "static.c")
    with open(src, "w") as f:
        f.write("int main(void) { return 0; }\n")
    static = os.path.join(tmp, "static-empty")
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-static", "-o",
                    static, src], check=True)
    res["static_empty"] = hyperfine(static, runs, tmp)
    res["sh_wrapper"] = hyperfine("exec /bin/true < %s" % bodyf, max(20, runs // 4),
                                  tmp, shell=True)
    mhz = 0.0
    for line in open("/proc/cpuinfo"):
        if line.startswith("cpu MHz"):
            mhz = float(line.split(":")[1])
            break
    res["tsc_mhz"] = mhz
    specs = [spec.split("=", 1) for spec in sys.argv[4:]]
    # Every `me` first: each login makes a session, and past
    # AUTH_MAX_SESSIONS (50) the oldest, the access token's, ends.
    for name, d in specs:
        r = {"dir": d}
        acc = os.path.join(d, "account")
        r["me_first"] = first_line([acc], me_env, os.devnull)
        r["me"] = hyperfine(acc, runs, tmp, env=me_env)
        r["ld"] = ld_stats(acc, me_env)
        libdir = os.path.join(d, "lib") if os.path.isdir(os.path.join(d, "lib")) else None
        emp, libs, rpath = empty_main(tmp, name, acc, libdir)
        r["needed"] = libs
        r["rpath"] = rpath
        r["empty"] = hyperfine(emp, runs, tmp)
        le = ld_stats(emp, env)
        r["empty_ld"] = le
        os.unlink(emp)
        res[name] = r
    for name, d in specs:
        r = res[name]
        login = os.path.join(d, "login")
        r["login_first"] = first_line([login], login_env, bodyf)
        r["login"] = hyperfine("exec %s < %s" % (login, bodyf),
                               max(20, runs // 4), tmp, env=login_env,
                               shell=True)
    json.dump(res, open(out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
