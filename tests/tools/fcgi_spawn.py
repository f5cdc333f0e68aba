#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A stand-in for systemd's socket units in the tests (systemd does not run
in the test sandbox): binds one Unix socket per FastCGI executable, starts
PROCS processes of each with the listening socket as standard input (what
systemd/authportal@.socket and .service do with StandardInput=socket, and
spawn-fcgi without systemd), starts another replacement of any that ends
(Restart=always), then runs COMMAND (the web server) in the foreground.
When COMMAND ends, or on SIGTERM/SIGINT, it ends COMMAND and every worker
and removes the sockets; its exit status is COMMAND's.

usage: fcgi_spawn.py --dir SOCKDIR [--procs N] [--user U] [--group G]
           [--socket-group G] NAME=PATH... -- COMMAND [ARGS...]

The workers inherit this process's environment, standard output and
standard error (the web server's error log in the tests). Their ends are
logged there as lighttpd says them ("child signalled: N", "child exited:
N"), so that the harness's crash patterns and the load test read them
the same way. Python 3 standard library only.
"""

import argparse
import grp
import os
import pwd
import signal
import socket
import sys
import time


def log(msg):
    os.write(2, ("fcgi_spawn: %s\n" % msg).encode("utf-8", "replace"))


class Pool:
    def __init__(self, args):
        self.args = args
        self.uid = self.gid = None
        if args.user:
            pw = pwd.getpwnam(args.user)
            self.uid = pw.pw_uid
            self.gid = grp.getgrnam(args.group).gr_gid if args.group else pw.pw_gid
        self.sock_gid = grp.getgrnam(args.socket_group).gr_gid \
            if args.socket_group else None
        self.sockets = {}   # name -> (socket, path, exe)
        self.workers = {}   # pid -> name
        self.command = None
        self.stopping = False
        self.starts = {}    # name -> [monotonic times of recent starts]

    def bind(self, name, exe):
        path = os.path.join(self.args.dir, name + ".sock")
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(1024)
        # SocketMode=0660, SocketGroup= of the unit: the web server's
        # group may connect, nobody else.
        os.chmod(path, 0o660)
        if self.sock_gid is not None:
            os.chown(path, -1, self.sock_gid)
        self.sockets[name] = (s, path, exe)

    def spawn(self, name):
        s, _path, exe = self.sockets[name]
        pid = os.fork()
        if pid == 0:
            try:
                os.dup2(s.fileno(), 0)
                os.closerange(3, 65536)
                if self.uid is not None:
                    os.setgroups([])
                    os.setgid(self.gid)
                    os.setuid(self.uid)
                os.execv(exe, [exe])
            except OSError as e:
                log("%s: %s" % (exe, e))
            os._exit(127)
        self.workers[pid] = name

    def respawn(self, name):
        """Another worker for name, unless it keeps ending at once (10
        starts in 10 s): systemd's StartLimitBurst."""
        now = time.monotonic()
        recent = [t for t in self.starts.get(name, []) if now - t < 10]
        if len(recent) >= 10:
            log("%s: ended 10 times in 10 s; not started again" % name)
            return
        recent.append(now)
        self.starts[name] = recent
        self.spawn(name)

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.command is not None and pid == self.command:
                self.command_status = status
                self.command = None
                self.stop()
                continue
            name = self.workers.pop(pid, None)
            if name is None or self.stopping:
                continue
            if os.WIFSIGNALED(status):
                log("%s (pid %d) child signalled: %d" % (
                    name, pid, os.WTERMSIG(status)))
            else:
                log("%s (pid %d) child exited: %d" % (
                    name, pid, os.WEXITSTATUS(status)))
            self.respawn(name)

    def stop(self, *_):
        if self.stopping:
            return
        self.stopping = True
        if self.command is not None:
            try:
                os.kill(self.command, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in list(self.workers):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def run(self, command):
        for item in self.args.exe:
            name, _, exe = item.partition("=")
            self.bind(name, exe)
        for name in self.sockets:
            for _ in range(self.args.procs):
                self.spawn(name)
        self.command_status = 0
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        pid = os.fork()
        if pid == 0:
            os.execvp(command[0], command)
        self.command = pid
        deadline = None
        while self.command is not None or self.workers:
            self.reap()
            if self.stopping and deadline is None:
                deadline = time.monotonic() + 10
            if deadline is not None and time.monotonic() > deadline:
                for pid in list(self.workers) + [self.command]:
                    if pid is not None:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                deadline = time.monotonic() + 10
            time.sleep(0.02)
        for s, path, _exe in self.sockets.values():
            s.close()
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        st = self.command_status
        return os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)


def main(argv):
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    i = argv.index("--")
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--user")
    ap.add_argument("--group")
    ap.add_argument("--socket-group")
    ap.add_argument("exe", nargs="+")
    args = ap.parse_args(argv[1:i])
    command = argv[i + 1:]
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    return Pool(args).run(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
