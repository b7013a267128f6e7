#!/usr/bin/env python3
"""Soak: memcached under concwatch, driven by memaslap, stopped with SIGTERM.

    memcached_soak.py CONCWATCH [--seconds N] [--suppressions FILE]

Phase 1 (load): memcached (Debian's package, 4 worker threads) runs under
concwatch; memaslap (Debian's libmemcached-tools ships it as `memcaslap`)
drives it for N seconds (default 60, or $CONCWATCH_SOAK_SECONDS) with 16
connections, 90% gets, 10% sets and a tenth of the gets verified.  Then
concwatch gets SIGTERM (as a CI timeout would send it).  Passes when:
  - memcached ends on the SIGTERM (no crash: status 0), concwatch writes its
    report (the JSON) with no finding and no internal error;
  - every request was answered: the server counted every get and set the
    client sent but the ones in flight when the client stopped (at most one
    per connection), and no value read back failed verification (misses
    are evictions from the small cache, answered as such);
  - peak RSS is flat once the working set is filled: memcached gets a 16 MiB
    cache (-m 16), and concwatch's own tables (stacks, lock-order edges,
    race-sampler histories) fill with what the first requests show; both
    grow with requests served, not with seconds, so on a loaded machine
    filling takes 40 s where it takes 10 s on a quiet one (measured: 28 MiB
    at 10 s, 69 MiB at 40 s, 71 MiB at 92 s at load 15).  From the middle of
    the run on, the RSS never goes more than 10% (+2 MiB) over what it was
    there: a leak that grows with requests still shows in the second half.
    The curve is printed.
Phase 2 (idle server): memcached under concwatch --hang-after 1; a client
stores a key, pauses 3 s, reads it back, and the server then idles 2 s with
no client: a server waiting on I/O is not a hang (no finding, it still
answers, and ends on SIGTERM).

Exit 0 pass, 1 failure, 77 skipped (memcached or memcaslap not installed).
Starts nothing that outlives it (memcached is killed on every path).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_sample  # noqa: E402

CONNECTIONS = 16


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def memcached_pid(launcher):
    for pid in check_sample.descendants(launcher.pid):
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == "memcached":
                    return pid
        except OSError:
            pass
    return None


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def command(port, text):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(text)
        data = b""
        while not (data.endswith(b"END\r\n") or data.endswith(b"STORED\r\n")):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.decode("latin-1")


def server_stats(port):
    stats = {}
    for line in command(port, b"stats\r\n").split("\r\n"):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "STAT":
            stats[parts[1]] = parts[2]
    return stats


def start_memcached(concwatch, json_path, port, extra, suppressions):
    argv = [concwatch, "-q", "--json", json_path]
    if suppressions:
        argv += ["--suppressions", suppressions]
    argv += extra + ["--", shutil.which("memcached"), "-p", str(port), "-l", "127.0.0.1", "-U", "0",
                     "-t", "4", "-m", "16"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]   # memcached refuses root without it; dropping to nobody would
                                 # leave the report directory (0700, root's) unwritable
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def stop(launcher):
    """SIGTERM to concwatch (forwarded to memcached); returns (status, stderr)."""
    launcher.send_signal(signal.SIGTERM)
    try:
        _, err = launcher.communicate(timeout=30)
        return launcher.returncode, check_sample.text(err)
    except subprocess.TimeoutExpired:
        check_sample.kill_tree(launcher)
        _, err = launcher.communicate()
        return None, check_sample.text(err)


def read_report(path, failures):
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        failures.append("the report was not written: %s" % e)
        return None
    if report.get("findings"):
        failures.append("%d findings: %s" % (len(report["findings"]),
                                             "; ".join(f.get("message", "?") for f in report["findings"])))
    if report.get("internal_errors"):
        failures.append("concwatch reported %s internal errors" % report["internal_errors"])
    print("  report: %d findings, %s suppressed, exit_status %s"
          % (len(report.get("findings", [])), report.get("suppressed"), report.get("exit_status")))
    return report


def load_phase(args, tmp, failures):
    port = free_port()
    json_path = os.path.join(tmp, "load.json")
    launcher = start_memcached(args.concwatch, json_path, port, [], args.suppressions)
    client = None
    try:
        if not wait_port(port, launcher):
            failures.append("memcached did not start under concwatch")
            return
        pid = memcached_pid(launcher)
        print("phase 1: memcached (pid %s) on port %d under concwatch, memaslap for %d s, %d connections"
              % (pid, port, args.seconds, CONNECTIONS))
        client = subprocess.Popen([shutil.which("memcaslap"), "-s", "127.0.0.1:%d" % port, "-t", "%ds" % args.seconds,
                                   "-T", "2", "-c", str(CONNECTIONS), "-v", "0.1"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        curve, started = [], time.monotonic()
        while client.poll() is None:
            time.sleep(1)
            try:
                curve.append((time.monotonic() - started, rss_kib(pid)))
            except (OSError, TypeError):
                failures.append("memcached is gone during the load")
                break
        out = check_sample.text(client.communicate()[0])
        client = None
        sent = {}
        for line in out.splitlines():
            parts = line.replace(":", " ").split()
            if len(parts) == 2 and parts[1].isdigit():
                sent[parts[0]] = int(parts[1])
            if line.startswith("Run time"):
                print("  memaslap: " + line.strip())
        stats = server_stats(port)
        got_get, got_set = int(stats.get("cmd_get", 0)), int(stats.get("cmd_set", 0))
        want_get, want_set = sent.get("cmd_get", -1), sent.get("cmd_set", -1)
        print("  requests: client sent %d gets, %d sets; server answered %d gets, %d sets (%d get misses, "
              "%d verify failures)" % (want_get, want_set, got_get, got_set, sent.get("get_misses", -1),
                                      sent.get("verify_failed", -1)))
        missing = (want_get + want_set) - (got_get + got_set)
        if want_get <= 0 or want_set <= 0:
            failures.append("memaslap sent nothing (its output: %s)" % out[-2000:])
        elif missing > CONNECTIONS or missing < 0:
            failures.append("%d requests not answered (more than the %d in flight when the client stopped)"
                            % (missing, CONNECTIONS))
        # (Misses are evictions from the small cache, answered "not found".)
        if sent.get("verify_failed", 1) != 0:
            failures.append("memaslap saw values that failed verification")
        print("  RSS (MiB) by second: " + " ".join("%d:%.1f" % (t, kib / 1024) for t, kib in curve
                                                    if int(t) % 5 == 0 or t == curve[-1][0]))
        early = [kib for t, kib in curve if t >= args.seconds / 2]   # the second half: filled
        if early:
            base, last, peak = early[0], curve[-1][1], max(early)
            print("  RSS from the middle of the run: %.1f MiB, peak %.1f MiB, at the end %.1f MiB"
                  % (base / 1024, peak / 1024, last / 1024))
            if peak > base * 1.10 + 2048:
                failures.append("RSS grew from %.1f to a peak of %.1f MiB" % (base / 1024, peak / 1024))
        status, err = stop(launcher)
        launcher = None
        print("  stopped with SIGTERM: concwatch exit status %s" % check_sample.describe_status(status))
        if status != 0:
            failures.append("exit status %s after SIGTERM, want 0 (memcached's own)"
                            % check_sample.describe_status(status))
        if err.strip():
            print("  concwatch stderr:\n" + check_sample.clip(err))
        read_report(json_path, failures)
    finally:
        for p in (client, launcher):
            if p is not None:
                check_sample.kill_tree(p)
                p.communicate()


def idle_phase(args, tmp, failures):
    port = free_port()
    json_path = os.path.join(tmp, "idle.json")
    launcher = start_memcached(args.concwatch, json_path, port, ["--hang-after", "1"], args.suppressions)
    try:
        if not wait_port(port, launcher):
            failures.append("memcached did not start under concwatch --hang-after 1")
            return
        print("phase 2: memcached under concwatch --hang-after 1; a client pauses 3 s between requests")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"set soak 0 0 5\r\nhello\r\n")
            if s.recv(100) != b"STORED\r\n":
                failures.append("set was not stored")
            time.sleep(3)
            s.sendall(b"get soak\r\n")
            data = b""
            while not data.endswith(b"END\r\n"):
                chunk = s.recv(100)
                if not chunk:
                    break
                data += chunk
            if b"hello" not in data:
                failures.append("the paused client's get was not answered (%r)" % data)
        time.sleep(2)
        if launcher.poll() is not None:
            failures.append("memcached ended while idle (status %s)" % launcher.returncode)
        status, err = stop(launcher)
        launcher = None
        print("  stopped with SIGTERM: concwatch exit status %s" % check_sample.describe_status(status))
        if status != 0:
            failures.append("idle server: exit status %s, want 0" % check_sample.describe_status(status))
        if err.strip():
            print("  concwatch stderr:\n" + check_sample.clip(err))
        read_report(json_path, failures)
    finally:
        if launcher is not None:
            check_sample.kill_tree(launcher)
            launcher.communicate()


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("concwatch")
    p.add_argument("--seconds", type=int, default=int(os.environ.get("CONCWATCH_SOAK_SECONDS", "60")))
    p.add_argument("--suppressions")
    args = p.parse_args(argv)
    missing = [t for t in ("memcached", "memcaslap") if not shutil.which(t)]
    if missing:
        print("SKIP: %s not installed (apt-get install memcached libmemcached-tools)" % " and ".join(missing))
        return 77
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        load_phase(args, tmp, failures)
        idle_phase(args, tmp, failures)
    if failures:
        print("FAIL")
        for f in failures:
            print("  - " + f)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
