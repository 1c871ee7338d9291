#!/usr/bin/env bash
# `make demo`: three local test apiservers (two for cluster 1, one for cluster 2) behind kubegate on :6443 and
# :6444, with kubeconfigs that point kubectl at kubegate. Cluster 1's endpoints come from apiserver discovery: the
# test apiservers serve default/kubernetes from one shared file, and kubegate writes examples/demo/eds_cluster1.yaml
# from it. Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."

root=$(pwd)
demo_dir="$root/out/demo"
apiserver_dir="$root/out/test-apiserver"
config="examples/demo/envoy.yaml"

echo "building the test apiserver..."
dotnet publish tests/Kubegate.TestApiServer/Kubegate.TestApiServer.csproj -c Release -o "$apiserver_dir" --nologo -v quiet

for port in 6443 6444 16443 16444 16445; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port on 127.0.0.1 is already in use; stop whatever listens there (ss -ltnp 'sport = :$port') and retry" >&2
    exit 1
  fi
done

rm -rf "$demo_dir"
mkdir -p "$demo_dir"
# The demo CA of examples/demo/pki: the apiservers reuse a CA found in their --dir, and kubegate's discovery trusts
# it and authenticates with pki/discovery.crt (see examples/demo/cds.yaml).
cp examples/demo/pki/ca.crt examples/demo/pki/ca.key "$demo_dir/"
chmod 600 "$demo_dir/ca.key"
# default/kubernetes of cluster 1, shared by its two apiserver processes as etcd would be: edit it to add or remove one.
endpoints="$demo_dir/apiserver-endpoints"
printf '127.0.0.1:16443\n127.0.0.1:16444\n' > "$endpoints"
pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  echo "demo stopped"
}
trap cleanup INT TERM EXIT

wait_for() { # wait_for <description> <seconds> <command...>
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "timed out waiting for $what" >&2
      return 1
    fi
    sleep 0.1
  done
}

# apiserver-1b runs as a process of its own, so it can be stopped alone to watch kubegate fail over.
"$apiserver_dir/kubegate-test-apiserver" --dir "$demo_dir" \
  --instance apiserver-1a=16443 --instance apiserver-2=16445 --apiserver-endpoints "$endpoints" \
  --kubeconfig cluster1=https://127.0.0.1:6443 --kubeconfig cluster2=https://127.0.0.1:6444 \
  --kubeconfig direct1=https://127.0.0.1:16443 \
  > "$demo_dir/apiservers.log" 2>&1 &
pids+=($!)
wait_for "the test apiservers (see $demo_dir/apiservers.log)" 30 grep -q '^ready' "$demo_dir/apiservers.log"

# --shutdown-delay: on SIGTERM it behaves as kube-apiserver with --shutdown-delay-duration=5s (/readyz 503 while it
# still serves, then it closes its connections and stops).
start_apiserver_1b() {
  "$apiserver_dir/kubegate-test-apiserver" --dir "$demo_dir" --instance apiserver-1b=16444 --shutdown-delay 5 \
    --apiserver-endpoints "$endpoints" \
    >> "$demo_dir/apiserver-1b.log" 2>&1 &
  apiserver_1b=$!
  pids+=($apiserver_1b)
}
: > "$demo_dir/apiserver-1b.log"
start_apiserver_1b
wait_for "apiserver-1b (see $demo_dir/apiserver-1b.log)" 30 grep -q '^ready' "$demo_dir/apiserver-1b.log"

# `kill -USR1 <this script>`: a rolling restart of apiserver-1b. Graceful stop (DRAINING on the dashboard for 5 s,
# then DOWN), a few seconds down, then back: slow start ramps it up and rebalancing moves watches back to it.
restart_1b() {
  echo "restarting apiserver-1b gracefully (pid $apiserver_1b)..."
  kill -TERM "$apiserver_1b" 2>/dev/null || true
  wait "$apiserver_1b" 2>/dev/null || true
  sleep 5
  start_apiserver_1b
  echo "apiserver-1b is back (pid $apiserver_1b)"
}
trap restart_1b USR1

./out/kubegate -c "$config" --drain-time-s 2 &
kubegate_pid=$!
pids+=($kubegate_pid)
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for "kubegate to listen on :6443 and :6444" 30 bash -c "$(declare -f port_open); port_open 6443 && port_open 6444"

cat <<MSG

kubegate is running (pid $kubegate_pid), in front of three test apiservers:
  :6443 -> cluster 1 (127.0.0.1:16443, 127.0.0.1:16444, round robin)
  :6444 -> cluster 2 (127.0.0.1:16445)

Try, in another terminal:
  kubectl --kubeconfig $demo_dir/kubeconfig-cluster1 get ns
  kubectl --kubeconfig $demo_dir/kubeconfig-cluster1 get --raw /readyz
  kubectl --kubeconfig $demo_dir/kubeconfig-cluster1 get --raw /debug/whoami   # which apiserver answered
  kubectl --kubeconfig $demo_dir/kubeconfig-cluster2 get ns
  kubectl --kubeconfig $demo_dir/kubeconfig-cluster1 get --raw '/api/v1/namespaces?watch=true'

Watch it live: http://127.0.0.1:10000/ (dashboard; the drain/disable/enable buttons take an apiserver out by hand), or in a terminal:
  ./out/kubegate status --admin 127.0.0.1:10000
  curl -s 127.0.0.1:10000/clusters
  curl -s 127.0.0.1:10000/stats/prometheus

See failover: stop apiserver-1b with  kill $apiserver_1b  -- it answers /readyz 503 for 5 s while it still
serves (DRAINING: no new connections, its watches are left alone), then stops (DOWN); kubectl through :6443 keeps
working on apiserver-1a.

A whole rolling restart of apiserver-1b:  kill -USR1 $$  -- DRAINING, DOWN, then back UP with "slow start" on the
dashboard while ten demo watches (started below when kubectl is installed) are rebalanced onto it.
Maintenance by hand:  ./out/kubegate endpoint drain|disable|enable demo_cluster1 127.0.0.1:16444

Apiserver discovery: kubegate watches cluster 1's default/kubernetes EndpointSlices through :6443 and keeps
examples/demo/eds_cluster1.yaml equal to them. Remove a line from $endpoints (as an apiserver
leaving the cluster would) and watch kubegate rewrite that file and drop the endpoint within a second; put it back
and the file is back to what git has:
  sed -i '/16444/d' $endpoints; sleep 1; cat examples/demo/eds_cluster1.yaml
  echo 127.0.0.1:16444 >> $endpoints

A kubeconfig that reaches cluster 1 through kubegate, made from one that talks to an apiserver directly
(same credentials and CA, tls-server-name from the apiserver's certificate):
  ./out/kubegate kubeconfig --kubeconfig $demo_dir/kubeconfig-direct1 -c $config --listener demo_cluster1 -o $demo_dir/kubeconfig-via-kubegate
  kubectl --kubeconfig $demo_dir/kubeconfig-via-kubegate get ns

The apiservers log each request to $demo_dir/apiservers.log and $demo_dir/apiserver-1b.log.
Press Ctrl-C to stop everything.
MSG

# Ten long-lived watches through kubegate (re-opened when they end, as client-go does), so the dashboard shows
# connections leave a draining apiserver and move back after it returns.
if command -v kubectl >/dev/null 2>&1; then
  for _ in $(seq 10); do
    ( while kill -0 "$kubegate_pid" 2>/dev/null; do
        kubectl --kubeconfig "$demo_dir/kubeconfig-cluster1" get --raw '/api/v1/namespaces?watch=true' >/dev/null 2>&1 || true
        sleep 0.5
      done ) &
    pids+=($!)
  done
fi

# wait returns early when a trapped signal (USR1) arrives: keep waiting until kubegate itself exits.
while kill -0 "$kubegate_pid" 2>/dev/null; do
  wait "$kubegate_pid" || true
done
