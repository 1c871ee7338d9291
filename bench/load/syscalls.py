#!/usr/bin/env python3
"""System calls per unit of work of a TCP pass-through proxy, counted with `strace -c -f` on the proxy only.

Two loads, plain TCP on 127.0.0.1 (a pass-through proxy does the same work for TLS bytes):
  exchange    one keep-alive connection: a 120-byte request, a 1,700-byte answer (W1's shape), N times
  connection  a new connection per exchange, closed by the backend after its answer (W2's shape), N times

Contestants: kubegate (KUBEGATE, default out/kubegate) and HAProxy `mode tcp` with 2 threads when installed.
On a virtual machine each system call costs far more than the user-space work around it, so these counts go a
long way to explain the proxies' CPU time per request. strace slows the proxy down a lot, so the CPU time per unit
(user + system, from /proc) comes from a second, untraced pass of the same load. The CPU time counts the
1-millisecond scheduler ticks the process was charged, so it needs thousands of units to mean anything.

    python3 bench/load/syscalls.py [--exchanges 5000] [--connections 2000]

Loopback only; every process started here is stopped by its PID; each load is bounded in count and time.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HOST = "127.0.0.1"
BACKEND_PORT = 19661
PROXY_PORT = 19651
REQUEST = b"G" * 120
ANSWER = b"x" * 1700
DEADLINE_S = 120


def backend(close_after_answer: threading.Event) -> socket.socket:
    """A backend that answers each request; closes after the answer while the event is set (W2)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, BACKEND_PORT))
    listener.listen(1024)

    def serve(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(ANSWER)
                if close_after_answer.is_set():
                    return

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


def exchange(conn: socket.socket) -> None:
    conn.sendall(REQUEST)
    got = 0
    while got < len(ANSWER):
        chunk = conn.recv(65536)
        if not chunk:
            raise RuntimeError("proxy closed the connection early")
        got += len(chunk)


def run_exchanges(n: int, deadline: float) -> None:
    with socket.create_connection((HOST, PROXY_PORT)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(n):
            if time.monotonic() > deadline:
                raise RuntimeError("exchange load ran out of time")
            exchange(conn)


def run_connections(n: int, deadline: float) -> None:
    for _ in range(n):
        if time.monotonic() > deadline:
            raise RuntimeError("connection load ran out of time")
        with socket.create_connection((HOST, PROXY_PORT)) as conn:
            exchange(conn)
            if conn.recv(1):
                raise RuntimeError("more than one answer")


def wait_listening(port: int, proc: subprocess.Popen) -> None:
    for _ in range(500):
        if proc.poll() is not None:
            raise RuntimeError(f"proxy exited with {proc.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("proxy did not start listening")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, all threads


def count(proxy: list[str], env: dict[str, str], load, n: int, work: Path, name: str) -> tuple[dict[str, int], float]:
    """The proxy's system calls during n units of load (traced), and its CPU µs per unit (a second, untraced pass)."""
    proc = subprocess.Popen(proxy, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(PROXY_PORT, proc)
        load(min(n, 300), time.monotonic() + DEADLINE_S)  # warm-up, not counted
        before = cpu_seconds(proc.pid)
        load(n, time.monotonic() + DEADLINE_S)
        cpu_us = (cpu_seconds(proc.pid) - before) / n * 1e6
        out = work / f"{name}.strace"
        tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(out), "-p", str(proc.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)  # strace attaches to every thread before the load starts
        try:
            load(n, time.monotonic() + DEADLINE_S)
        finally:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=30)
        calls: dict[str, int] = {}
        for line in out.read_text().splitlines():
            fields = line.split()
            # "% time seconds usecs/call calls [errors] syscall"
            if len(fields) >= 5 and fields[0][0].isdigit() and not fields[-1] == "total":
                calls[fields[-1]] = int(fields[3])
        return calls, cpu_us
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exchanges", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=2000)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[2]
    kubegate = Path(os.environ.get("KUBEGATE", root / "out" / "kubegate")).resolve()
    if shutil.which("strace") is None:
        print("strace is needed (apt-get install strace)", file=sys.stderr)
        return 1
    if not kubegate.exists():
        print(f"{kubegate} not found: make publish", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "envoy.yaml").write_text(f"""static_resources:
  listeners:
  - name: l
    address: {{socket_address: {{address: {HOST}, port_value: {PROXY_PORT}}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: l
          cluster: c
  clusters:
  - name: c
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: c
      endpoints:
      - lb_endpoints:
        - endpoint: {{address: {{socket_address: {{address: {HOST}, port_value: {BACKEND_PORT}}}}}}}
""")
        (work / "haproxy.cfg").write_text(f"""global
  nbthread 2
  maxconn 4000
defaults
  mode tcp
  timeout connect 1s
  timeout client 60s
  timeout server 60s
listen l
  bind {HOST}:{PROXY_PORT}
  balance roundrobin
  server a {HOST}:{BACKEND_PORT}
""")
        contestants = [("kubegate", [str(kubegate), "-c", "envoy.yaml", "--log-level", "warning"],
                        {**os.environ, "DOTNET_PROCESSOR_COUNT": "2"})]
        if shutil.which("haproxy"):
            contestants.append(("HAProxy", ["haproxy", "-db", "-f", "haproxy.cfg"], dict(os.environ)))

        results: dict[tuple[str, str], dict[str, int]] = {}
        cpu: dict[tuple[str, str], float] = {}
        close = threading.Event()
        listener = backend(close)
        try:
            for shape, load, n, closes in (("exchange", run_exchanges, args.exchanges, False),
                                           ("connection", run_connections, args.connections, True)):
                if closes:
                    close.set()
                for name, argv, env in contestants:
                    calls, cpu_us = count(argv, env, load, n, work, f"{name}-{shape}")
                    results[(name, shape)] = calls
                    cpu[(name, shape)] = cpu_us
                    print(f"{name} {shape}: {sum(calls.values()) / n:.1f} system calls, {cpu_us:.0f} µs CPU per {shape}",
                          file=sys.stderr)
        finally:
            listener.close()

        print(f"# System calls per unit of work (strace -c -f on the proxy; {args.exchanges} exchanges, "
              f"{args.connections} connections)\n")
        for shape, n in (("exchange", args.exchanges), ("connection", args.connections)):
            names = [c[0] for c in contestants]
            calls = sorted({k for name in names for k in results[(name, shape)]},
                           key=lambda k: -max(results[(name, shape)].get(k, 0) for name in names))
            print(f"## Per {shape}\n\n| system call | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
            for call in calls:
                cells = [f"{results[(name, shape)].get(call, 0) / n:.2f}" for name in names]
                if any(float(c) >= 0.01 for c in cells):
                    print(f"| {call} | " + " | ".join(cells) + " |")
            totals = [f"**{sum(results[(name, shape)].values()) / n:.1f}**" for name in names]
            print("| **total** | " + " | ".join(totals) + " |")
            print(f"| CPU µs per {shape} (untraced pass) | " + " | ".join(f"{cpu[(name, shape)]:.0f}" for name in names) + " |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
