#!/usr/bin/env bash
# Single-stream bulk throughput through the proxy on 127.0.0.1: iperf3 -c (client → server) and -R (server →
# client), interleaving the variants so a busy machine's noise spreads over all of them. Prints Gbit/s and the
# proxy's CPU seconds (user + system, all threads) per GiB relayed, which a shared machine disturbs far less.
#
#   bench/load/iperf3.sh                       # 3 rounds of 5 s each, every variant
#   RUNS=5 T=10 VARIANTS="copy splice" bench/load/iperf3.sh
#
# Variants: direct (no proxy), copy (kubegate, KUBEGATE_SPLICE=0), splice (kubegate, default), haproxy and
# haproxy-splice (`mode tcp`, without and with `option splice-auto`; skipped when haproxy is not installed).
# Needs iperf3 and a kubegate binary (KUBEGATE, default out/kubegate: `make publish`). Loopback only; every process
# started here is stopped by its PID; each run is bounded by -t and a timeout.
set -euo pipefail
cd "$(dirname "$0")/../.."
KUBEGATE=${KUBEGATE:-out/kubegate}
RUNS=${RUNS:-3}
T=${T:-5}
VARIANTS=${VARIANTS:-"direct copy splice haproxy haproxy-splice"}
IPERF_PORT=${IPERF_PORT:-15201}
PROXY_PORT=${PROXY_PORT:-15301}

work=$(mktemp -d)
IPERF=
PROXY=
cleanup() {
  [ -n "$PROXY" ] && kill "$PROXY" 2>/dev/null || true
  [ -n "$IPERF" ] && kill "$IPERF" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/envoy.yaml" <<YAML
static_resources:
  listeners:
  - name: bench
    address: {socket_address: {address: 127.0.0.1, port_value: $PROXY_PORT}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: bench
          cluster: iperf
  clusters:
  - name: iperf
    type: STATIC
    connect_timeout: 2s
    load_assignment:
      cluster_name: iperf
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: $IPERF_PORT}}}
YAML
for mode in plain splice; do
  {
    printf 'global\n    maxconn 1000\ndefaults\n    mode tcp\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n'
    [ "$mode" = splice ] && printf '    option splice-auto\n'
    printf 'frontend f\n    bind 127.0.0.1:%s\n    default_backend b\nbackend b\n    server s1 127.0.0.1:%s\n' "$PROXY_PORT" "$IPERF_PORT"
  } > "$work/haproxy-$mode.cfg"
done

# Polls the listening-socket table rather than connecting: a probe connection would reach iperf3 as a bogus test.
wait_listening() {
  for _ in $(seq 200); do
    ss -ltnH "sport = :$1" | grep -q . && return 0
    sleep 0.05
  done
  echo "nothing listens on :$1" >&2
  return 1
}

cpu_ticks() { if [ -n "$PROXY" ]; then awk '{print $14 + $15}' "/proc/$PROXY/stat"; else echo 0; fi; }

start_variant() {
  PROXY=
  PORT=$PROXY_PORT
  case $1 in
    direct) PORT=$IPERF_PORT; return 0 ;;
    copy) KUBEGATE_SPLICE=0 "$KUBEGATE" -c "$work/envoy.yaml" --log-level warning >/dev/null 2>&1 & PROXY=$! ;;
    splice) KUBEGATE_SPLICE=1 "$KUBEGATE" -c "$work/envoy.yaml" --log-level warning >/dev/null 2>&1 & PROXY=$! ;;
    haproxy) haproxy -f "$work/haproxy-plain.cfg" -db >/dev/null 2>&1 & PROXY=$! ;;
    haproxy-splice) haproxy -f "$work/haproxy-splice.cfg" -db >/dev/null 2>&1 & PROXY=$! ;;
    *) echo "unknown variant $1" >&2; return 1 ;;
  esac
  wait_listening "$PORT"
}

stop_variant() {
  if [ -n "$PROXY" ]; then
    kill "$PROXY"
    wait "$PROXY" 2>/dev/null || true
    PROXY=
  fi
}

command -v haproxy >/dev/null || VARIANTS=$(echo "$VARIANTS" | tr ' ' '\n' | grep -v '^haproxy' | tr '\n' ' ')
iperf3 -s -p "$IPERF_PORT" -B 127.0.0.1 >/dev/null 2>&1 & IPERF=$!
wait_listening "$IPERF_PORT"
results="$work/results.txt"
for round in $(seq "$RUNS"); do
  for variant in $VARIANTS; do
    start_variant "$variant"
    for direction in forward reverse; do
      flag=
      [ "$direction" = reverse ] && flag=-R
      before=$(cpu_ticks)
      json=$(timeout $((T + 20)) iperf3 -c 127.0.0.1 -p "$PORT" -t "$T" $flag -J || true)
      after=$(cpu_ticks)
      echo "$json" | python3 -c '
import json, sys, os
round_, variant, direction, ticks, proxied = sys.argv[1:]
try:
    end = json.load(sys.stdin)["end"]["sum_received"]
except Exception:
    print(round_, variant, direction, "ERR -"); sys.exit()
gib = end["bytes"] / 2**30
cpu = "%.3f" % (int(ticks) / os.sysconf("SC_CLK_TCK") / gib) if proxied == "1" and gib > 0 else "-"
print(round_, variant, direction, "%.2f" % (end["bits_per_second"] / 1e9), cpu)
' "$round" "$variant" "$direction" $((after - before)) "$([ -n "$PROXY" ] && echo 1 || echo 0)" | tee -a "$results"
    done
    stop_variant
  done
done

python3 - "$results" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    _, variant, direction, gbps, cpu = line.split()
    if gbps != "ERR":
        runs[(variant, direction)].append((float(gbps), cpu))
print(f"\n{'variant':16}{'direction':10}{'Gbit/s (median)':>17}{'CPU-s/GiB (median)':>20}  runs (Gbit/s)")
for (variant, direction), xs in runs.items():
    cpus = [float(c) for _, c in xs if c != "-"]
    cpu = f"{statistics.median(cpus):.3f}" if cpus else "-"
    print(f"{variant:16}{direction:10}{statistics.median(g for g, _ in xs):17.2f}{cpu:>20}  " + " ".join(f"{g:.2f}" for g, _ in xs))
PY
