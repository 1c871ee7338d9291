#!/usr/bin/env python3
"""Does io_uring pay for kubegate's data path? The lab relay's epoll and io_uring back ends, and kubegate itself as
the reference, relaying plain HTTP/1.1 to an nginx backend on 127.0.0.1 (a pass-through proxy moves TLS records the
same way: the bytes differ, the system calls and wake-ups do not).

    python3 bench/uring-lab/run.py [--rounds 4] [--seconds 8] [--no-strace] [--no-idle]

Environment: KUBEGATE (default out/kubegate, relative to the repository root), LAB (a published uring-lab binary;
default: published here into bench/uring-lab/out/ with NativeAOT), KUBEGATE_BASE (another kubegate build, run as the
contestant kubegate-base: `--only kubegate,kubegate-base` compares two commits in the same rounds).

Per round, contestants in rotated order (epoll, uring, kubegate; then uring, kubegate, epoll; ...), each started
fresh with 2 threads and stopped after its loads:
  W1  wrk -t2 -c50 -d{seconds}s                          keep-alive exchanges     -> req/s, proxy CPU µs per request
  W2  wrk -t2 -c32 -d{seconds}s -H 'Connection: close'   a new connection each    -> conn/s, proxy CPU µs per connection
CPU is utime+stime of all the proxy's threads from /proc/PID/stat, read before and after each load; context
switches are the sum over /proc/PID/task/*/status. Then, one contestant at a time: system calls per exchange and per
connection (strace -c -f -p PID during wrk -t1 -c10 -d3s and -c1 loads, divided by the requests wrk reports), and the
resident memory 2000 idle connections add.

Loopback only; every load is bounded in time; every process started here is stopped by its PID (finally/atexit).
"""
from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
BACKEND_PORT = 19771
PORTS = {"epoll": 19772, "uring": 19773, "kubegate": 19774, "poll": 19775, "kubegate-epoll": 19776,
         "kubegate-base": 19777}
ORDER = ["epoll", "uring", "poll", "kubegate", "kubegate-epoll", "kubegate-base"]
KUBEGATES = ("kubegate", "kubegate-epoll", "kubegate-base")
BODY_BYTES = 1627
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The macro benchmark's process helpers: every child in its own session, stopped by its PID (and its nginx workers
# by theirs), and killed by the kernel should this script die without running its cleanup.
sys.path.insert(0, str(ROOT / "bench"))
from bench import _children, log, spawn, stop, stop_all  # noqa: E402  (_children: what stop_all stops)


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pid {proc.pid} exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def cpu_ticks(pid: int) -> int:
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime: the whole thread group


def context_switches(pid: int) -> int:
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def thread_names(pid: int) -> list[str]:
    names = []
    for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
        try:
            names.append(comm.read_text().strip())
        except OSError:
            pass
    return sorted(names)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wrk(port: int, threads: int, connections: int, seconds: int, close: bool) -> dict[str, float]:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    if close:
        argv += ["-H", "Connection: close"]
    argv.append(f"http://{HOST}:{port}/")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    out = done.stdout
    requests = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if done.returncode != 0 or not requests or not rate:
        raise RuntimeError(f"wrk failed ({done.returncode}): {out} {done.stderr}")
    errors = 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    return {"requests": int(requests.group(1)), "rps": float(rate.group(1)), "errors": errors}


# --- the contestants -----------------------------------------------------------------------------------------------

def nginx_conf(tmp: Path) -> Path:
    www = tmp / "www"
    www.mkdir(exist_ok=True)
    (www / "index.html").write_bytes(b"k" * BODY_BYTES)
    (tmp / "client_body").mkdir(exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 20000;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/client_body;
  proxy_temp_path {tmp}/client_body;
  fastcgi_temp_path {tmp}/client_body;
  uwsgi_temp_path {tmp}/client_body;
  scgi_temp_path {tmp}/client_body;
  keepalive_timeout 600s;
  keepalive_requests 100000000;
  server {{
    listen {HOST}:{BACKEND_PORT} backlog=4096;
    root {www};
    default_type text/plain;
    location / {{ index index.html; }}
  }}
}}
""")
    return conf


def kubegate_conf(tmp: Path) -> Path:
    """The shape of bench/bench.py's kubegate_conf: an Envoy v3 bootstrap, one tcp_proxy listener, one STATIC cluster.
    Other files, the same but for the listener's port, serve kubegate-epoll and kubegate-base."""
    for name in KUBEGATES:
        write_kubegate_conf(tmp / f"{name}.yaml", PORTS[name])
    return tmp / "kubegate.yaml"


def write_kubegate_conf(conf: Path, port: int) -> None:
    conf.write_text(f"""node: {{id: bench, cluster: bench}}
static_resources:
  listeners:
  - name: https
    address: {{socket_address: {{address: {HOST}, port_value: {port}}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: https
          cluster: apiservers
  clusters:
  - name: apiservers
    type: STATIC
    lb_policy: ROUND_ROBIN
    connect_timeout: 5s
    circuit_breakers: {{thresholds: [{{max_connections: 100000}}]}}
    load_assignment:
      cluster_name: apiservers
      endpoints:
      - lb_endpoints:
        - endpoint: {{address: {{socket_address: {{address: {HOST}, port_value: {BACKEND_PORT}}}}}}}
""")
    return conf


def command(name: str, lab: Path, kubegate: Path, kconf: Path) -> list[str]:
    if name == "kubegate":
        return [str(kubegate), "-c", str(kconf), "--log-level", "warning", "--drain-time-s", "0", "--concurrency", "2"]
    if name == "kubegate-epoll":
        # The same binary on its epoll fallback, with the same configuration but for the listener's port.
        return [str(kubegate), "-c", str(kconf).replace("kubegate.yaml", "kubegate-epoll.yaml"), "--log-level", "warning",
                "--drain-time-s", "0", "--concurrency", "2", "--event-interface", "epoll"]
    if name == "kubegate-base":
        # Another build (KUBEGATE_BASE: an A/B of two commits), with the same configuration but for the listener's port.
        return [os.environ["KUBEGATE_BASE"], "-c", str(kconf).replace("kubegate.yaml", "kubegate-base.yaml"),
                "--log-level", "warning", "--drain-time-s", "0", "--concurrency", "2"]
    return [str(lab), "--listen", f"{HOST}:{PORTS[name]}", "--upstream", f"{HOST}:{BACKEND_PORT}",
            "--threads", "2", "--mode", name]


def measure_round(name: str, argv: list[str], tmp: Path, seconds: int) -> dict[str, float]:
    proc = spawn(argv, tmp, name)
    try:
        port = PORTS[name]
        wait_port(port, proc)
        wrk(port, 2, 50, 1, close=False)  # warm-up: page faults, pools, first connections; not counted
        result: dict[str, float] = {}
        for label, connections, close in (("w1", 50, False), ("w2", 32, True)):
            ticks, switches = cpu_ticks(proc.pid), context_switches(proc.pid)
            load = wrk(port, 2, connections, seconds, close)
            ticks, switches = cpu_ticks(proc.pid) - ticks, context_switches(proc.pid) - switches
            result[f"{label}_rps"] = load["rps"]
            result[f"{label}_cpu_us"] = ticks / CLK_TCK / load["requests"] * 1e6
            result[f"{label}_cs"] = switches / load["requests"]
            result[f"{label}_errors"] = load["errors"]
            if label == "w1":
                result["rss_kib_after_w1"] = rss_kib(proc.pid)
        result["threads"] = len(thread_names(proc.pid))
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited during the round")
        return result
    finally:
        stop(proc)


def parse_strace(path: Path) -> dict[str, int]:
    calls: dict[str, int] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        # "% time seconds usecs/call calls [errors] syscall"
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls[fields[-1]] = int(fields[3])
    return calls


def syscall_counts(name: str, argv: list[str], tmp: Path) -> dict[str, object]:
    """System calls per exchange (keep-alive) and per connection (Connection: close), wrk -t1 -c10 -d3s under strace."""
    proc = spawn(argv, tmp, f"{name}-strace")
    out: dict[str, object] = {}
    try:
        port = PORTS[name]
        wait_port(port, proc)
        wrk(port, 1, 10, 1, close=False)
        # -c10 lets events of different connections share a wait (what a busy proxy sees); -c1 is one message at a
        # time, the shape of bench/load/syscalls.py, where nothing can be batched.
        for label, connections, close in (("exchange", 10, False), ("connection", 10, True),
                                          ("exchange-c1", 1, False), ("connection-c1", 1, True)):
            trace = tmp / f"{name}-{label}.strace"
            tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(trace), "-p", str(proc.pid)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _children.append(tracer)
            time.sleep(1)  # strace attaches to every thread before the load starts
            try:
                load = wrk(port, 1, connections, 3, close)
            finally:
                tracer.send_signal(signal.SIGINT)
                tracer.wait(timeout=30)
                _children.remove(tracer)
            calls = parse_strace(trace)
            out[label] = {call: n / load["requests"] for call, n in calls.items()}
            out[f"{label}_requests"] = load["requests"]
        out["threads"] = thread_names(proc.pid)
        return out
    finally:
        stop(proc)


def idle_memory(name: str, argv: list[str], tmp: Path, count: int) -> float:
    """Resident memory (KiB) the proxy adds per idle connection: `count` connections opened, nothing sent."""
    proc = spawn(argv, tmp, f"{name}-idle")
    sockets: list[socket.socket] = []
    try:
        port = PORTS[name]
        wait_port(port, proc)
        wrk(port, 2, 50, 2, close=False)  # the pools and buffers a busy proxy has, before the idle ones come
        time.sleep(0.5)
        before = rss_kib(proc.pid)
        for _ in range(count):
            sockets.append(socket.create_connection((HOST, port), timeout=5))
        time.sleep(2)
        return (rss_kib(proc.pid) - before) / count
    finally:
        for s in sockets:
            s.close()
        stop(proc)


# --- the report ----------------------------------------------------------------------------------------------------

def spread(values: list[float], digits: int = 0) -> str:
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def report(rounds: list[dict[str, dict[str, float]]], calls: dict[str, dict[str, object]], idle: dict[str, float],
           load_start: str, load_end: str, notes: list[str]) -> str:
    lines = [f"load average at start: {load_start}; at end: {load_end}", ""]
    names = [n for n in ORDER if all(n in r for r in rounds)]
    lines += ["| contestant | W1 req/s | W1 CPU µs/request | W1 ctx sw/request | W2 conn/s | W2 CPU µs/connection | "
              "W2 ctx sw/connection | errors |", "|---|---|---|---|---|---|---|---|"]
    for n in names:
        col = lambda key, digits=0: spread([r[n][key] for r in rounds], digits)  # noqa: E731
        errors = sum(r[n]["w1_errors"] + r[n]["w2_errors"] for r in rounds)
        lines.append(f"| {n} | {col('w1_rps')} | {col('w1_cpu_us', 1)} | {col('w1_cs', 2)} | {col('w2_rps')} | "
                     f"{col('w2_cpu_us', 1)} | {col('w2_cs', 2)} | {errors:.0f} |")
    lines += ["", "median (min–max) over rounds; per-round figures:", ""]
    for i, r in enumerate(rounds, 1):
        lines.append(f"round {i}: " + "; ".join(
            f"{n} W1 {r[n]['w1_rps']:,.0f} req/s {r[n]['w1_cpu_us']:.1f} µs, W2 {r[n]['w2_rps']:,.0f} conn/s "
            f"{r[n]['w2_cpu_us']:.1f} µs, RSS {r[n]['rss_kib_after_w1']/1024:.1f} MiB" for n in names))
    for label in ("exchange", "connection", "exchange-c1", "connection-c1"):
        present = [n for n in names if n in calls]
        if not present:
            continue
        shape = "-c1" if label.endswith("c1") else "-c10"
        lines += ["", f"System calls per {label.removesuffix('-c1')} (strace -c -f, wrk -t1 {shape} -d3s; "
                  + ", ".join(f"{n}: {calls[n][label + '_requests']} requests" for n in present) + ")", "",
                  "| system call | " + " | ".join(present) + " |", "|---|" + "---|" * len(present)]
        every = sorted({c for n in present for c in calls[n][label]},  # type: ignore[union-attr]
                       key=lambda c: -max(calls[n][label].get(c, 0) for n in present))  # type: ignore[union-attr]
        for c in every:
            row = [calls[n][label].get(c, 0.0) for n in present]  # type: ignore[union-attr]
            if max(row) >= 0.005:
                lines.append(f"| {c} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
        lines.append("| **total** | " + " | ".join(
            f"**{sum(calls[n][label].values()):.1f}**" for n in present) + " |")  # type: ignore[union-attr]
    if calls:
        lines += [""] + [f"threads of {n}: {', '.join(calls[n]['threads'])}" for n in names if n in calls]  # type: ignore[arg-type]
    if idle:
        lines += ["", "Resident memory added per idle connection: "
                  + ", ".join(f"{n} {v:.2f} KiB" for n, v in idle.items())]
    lines += [""] + notes
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--no-strace", action="store_true")
    parser.add_argument("--no-idle", action="store_true")
    parser.add_argument("--idle-connections", type=int, default=2000)
    parser.add_argument("--only", default="", help="comma-separated contestants (epoll,uring,poll,kubegate); default all")
    args = parser.parse_args()
    for tool in ("wrk", "nginx") + (() if args.no_strace else ("strace",)):
        if not shutil.which(tool):
            log(f"{tool} not found")
            return 2

    kubegate = Path(os.environ.get("KUBEGATE", "out/kubegate"))
    kubegate = kubegate if kubegate.is_absolute() else ROOT / kubegate
    if os.environ.get("LAB"):
        lab = Path(os.environ["LAB"]).resolve()
    else:
        lab = HERE / "out" / "uring-lab"
        log("publishing the lab relay (NativeAOT)")
        subprocess.run(["dotnet", "publish", str(HERE / "UringLab.csproj"), "-c", "Release", "-r", "linux-x64",
                        "-p:PublishAot=true", "-o", str(HERE / "out")], check=True, stdout=subprocess.DEVNULL,
                       timeout=600)
    contestants = [c for c in args.only.split(",")] if args.only else ["epoll", "uring", "poll"]
    contestants += ["kubegate"] if kubegate.exists() and "kubegate" not in contestants and not args.only else []
    notes = [f"kernel {os.uname().release}, {os.cpu_count()} CPUs"]
    if not kubegate.exists():
        notes.append(f"kubegate reference skipped: {kubegate} not found")

    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_start = Path("/proc/loadavg").read_text().split(" ", 3)[:3]
    with tempfile.TemporaryDirectory(prefix="uring-lab-") as tmpname:
        tmp = Path(tmpname)
        tmp.chmod(0o755)  # nginx workers run unprivileged when started as root and read files here
        kconf = kubegate_conf(tmp)
        backend = spawn(["nginx", "-p", str(tmp), "-c", str(nginx_conf(tmp)), "-e", str(tmp / "error.log")],
                        tmp, "nginx")
        try:
            wait_port(BACKEND_PORT, backend)
            rounds = []
            for i in range(args.rounds):
                order = contestants[i % len(contestants):] + contestants[:i % len(contestants)]
                result = {}
                for name in order:
                    log(f"round {i + 1}/{args.rounds}: {name}")
                    result[name] = measure_round(name, command(name, lab, kubegate, kconf), tmp, args.seconds)
                    log(f"  {result[name]}")
                rounds.append(result)
            calls: dict[str, dict[str, object]] = {}
            if not args.no_strace:
                for name in contestants:
                    log(f"strace: {name}")
                    calls[name] = syscall_counts(name, command(name, lab, kubegate, kconf), tmp)
            idle: dict[str, float] = {}
            if not args.no_idle:
                for name in contestants:
                    log(f"idle connections: {name}")
                    idle[name] = idle_memory(name, command(name, lab, kubegate, kconf), tmp, args.idle_connections)
            for name in [c for c in ("uring", "poll") if c in contestants]:
                text = (tmp / f"{name}.log").read_text(errors="replace").strip().splitlines()
                notes += [f"{name} log: {line}" for line in text[:3]]
        finally:
            stop_all()
    load_end = Path("/proc/loadavg").read_text().split(" ", 3)[:3]
    print(report(rounds, calls, idle, " ".join(load_start), " ".join(load_end), notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
