#!/usr/bin/env bash
# End-to-end check of `make install install-service start-service` and the systemd unit on a real systemd: boots a
# fresh Debian container (systemd-nspawn, private network: only its own loopback), runs the Makefile targets inside
# it as root from the repository root, and checks start, status/logs, reload, drain on stop, the watchdog and the
# uninstall. Prints PASS/FAIL per step; exits 1 if any step failed.
#
#   make publish                      # as your user; the container has no .NET, it installs out/kubegate
#   sudo scripts/e2e-systemd.sh
#
# Needs root, debootstrap and systemd-nspawn (apt-get install debootstrap systemd-container) and a Debian mirror.
#   KUBEGATE_E2E_DIR     keeps the debootstrapped tree there and reuses it next time (default: a temporary directory,
#                        removed at the end); each run boots a fresh copy of it, so every run starts from a clean OS
#   KUBEGATE_E2E_MIRROR  Debian mirror for debootstrap (default: the first Debian one in /etc/apt/sources.list*)
#   KUBEGATE_E2E_SUITE   Debian release (default: bookworm)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

suite=${KUBEGATE_E2E_SUITE:-bookworm}
machine=kubegate-e2e-$$
packages=systemd,systemd-sysv,dbus,logrotate,procps,iproute2,curl,ca-certificates,openssl,make

die() { echo "error: $*" >&2; exit 2; }
log() { printf '\n=== %s\n' "$*"; }

[ "$(id -u)" = 0 ] || die "run as root: sudo $0"
command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null \
  || die "needs debootstrap and systemd-nspawn: apt-get install debootstrap systemd-container"
[ -x out/kubegate ] || die "out/kubegate is missing: run \`make publish\` first"

if [ -n "${KUBEGATE_E2E_DIR:-}" ]; then
  work=$KUBEGATE_E2E_DIR
  keep_work=1
else
  work=$(mktemp -d /var/tmp/kubegate-e2e.XXXXXX)
  keep_work=0
fi
mkdir -p "$work"
base=$work/base
run=$work/run-$$
nspawn_pid=
ct_pid=

teardown() {
  local status=$?
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # SIGTERM makes nspawn ask the container's systemd for an orderly poweroff; SIGKILL to its PID 1 ends the
    # whole PID namespace if that hangs.
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      [ -n "$ct_pid" ] && kill -KILL "$ct_pid" 2>/dev/null || true
      sleep 1
      kill -KILL "$nspawn_pid" 2>/dev/null || true
    fi
    wait "$nspawn_pid" 2>/dev/null || true
    echo "container $machine stopped"
  fi
  [ -d "$run" ] && rm -rf --one-file-system -- "$run"
  [ "$keep_work" = 1 ] || rm -rf --one-file-system -- "$work"
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

detect_mirror() {
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -E '^[[:space:]]*(deb[[:space:]]|URIs:)' | grep -oE 'https?://[^[:space:]]+' \
    | grep -vE 'security|updates|backports' | grep -E '/debian/?$' | head -n 1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# --- the container -------------------------------------------------------------------------------------------------

if [ ! -x "$base/usr/lib/systemd/systemd" ]; then
  mirror=${KUBEGATE_E2E_MIRROR:-$(detect_mirror)}
  log "debootstrap $suite from $mirror into $base (once; reused while $work stays)"
  rm -rf --one-file-system -- "$base.tmp"
  # Built aside and renamed, so an interrupted debootstrap is never taken for a finished tree.
  debootstrap --variant=minbase --include="$packages" "$suite" "$base.tmp" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log"; die "debootstrap failed (log: $work/debootstrap.log)"; }
  mv "$base.tmp" "$base"
fi

# A fresh copy per run: `make install` must meet a machine that never had kubegate.
rm -rf --one-file-system -- "$run"
cp -a --reflink=auto "$base" "$run"
: > "$run/etc/machine-id"

log "booting $machine (systemd-nspawn --boot --private-network, repository bound read-only at /src/kubegate)"
register=(--register=no --keep-unit)
# Without systemd on the host there is no machined to register with nor a unit manager to ask for a scope.
[ -d /run/systemd/system ] && register=()
systemd-nspawn --quiet --boot --directory="$run" --machine="$machine" --private-network "${register[@]}" \
  --bind-ro="$repo:/src/kubegate" --console=pipe < /dev/null > "$work/console.log" 2>&1 &
nspawn_pid=$!

# The container's PID 1 is the nspawn child whose PID inside its namespace is 1.
for _ in $(seq 1 100); do
  for child in $(pgrep -P "$nspawn_pid" || true); do
    if awk '/^NSpid:/ { exit ($NF == 1 ? 0 : 1) }' "/proc/$child/status" 2>/dev/null; then ct_pid=$child; fi
  done
  [ -n "$ct_pid" ] && break
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$work/console.log"; die "systemd-nspawn exited"; }
  sleep 0.2
done
[ -n "$ct_pid" ] || die "container PID 1 not found"

# Runs a bash snippet inside the container as root, with a clean environment (nothing leaks in from this shell).
# Snippets run with pipefail: they use `grep >/dev/null`, since `grep -q` quits early and fails the writer.
ct() {
  nsenter --target "$ct_pid" --mount --uts --ipc --net --pid --root --wd -- \
    /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 /bin/bash -c "set -euo pipefail; $1"
}

# A socket-activated TCP service in the container on 127.0.0.1:<port>, one <command> per connection (an apiserver
# stand-in for the example's clusters).
stand_in() {
  local name=$1 port=$2 command=$3
  ct "cat > /etc/systemd/system/$name.socket <<EOF
[Socket]
ListenStream=127.0.0.1:$port
Accept=yes
EOF
    cat > /etc/systemd/system/$name@.service <<EOF
[Service]
ExecStart=$command
StandardInput=socket
EOF
    systemctl daemon-reload && systemctl start $name.socket"
}

state=
for _ in $(seq 1 120); do
  state=$(ct 'systemctl is-system-running 2>/dev/null || true' 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.5
done
case "$state" in running|degraded) ;; *) die "container did not finish booting (state: ${state:-none})" ;; esac
echo "container up: $(ct 'systemctl --version | head -n 1'), system state $state"
[ "$state" = running ] || ct 'systemctl --failed --no-legend --plain' || true

# --- steps ---------------------------------------------------------------------------------------------------------

results=()
failed=0
step() { # step <name> <function>: a subshell with errexit, so a failed check ends the step, not the script
  local rc
  log "$1"
  # Not `if ( ... )`: errexit is ignored inside a tested command, and a failed check must end the step.
  set +e
  ( set -e; "$2" )
  rc=$?
  set -e
  if [ "$rc" = 0 ]; then results+=("PASS  $1"); else results+=("FAIL  $1"); failed=1; fi
}
check() { # check <description> <command...>
  if "${@:2}"; then echo "  ok: $1"; else echo "  FAILED: $1" >&2; return 1; fi
}
# Polls a container snippet until it succeeds: wait_for <seconds> <description> <snippet>.
wait_for() {
  local deadline=$((SECONDS + $1))
  until ct "$3" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "  FAILED: $2 (waited $1 s)" >&2; return 1; }
    sleep 0.5
  done
  echo "  ok: $2"
}
prop() { ct "systemctl show --value -p $1 kubegate.service"; }
admin() { ct "curl -sS --max-time 5 http://127.0.0.1:10000$1"; }

step_install() {
  local out
  # The listeners are checked in the same shell right after `systemctl start` returns: with Type=notify it returns
  # on READY=1, which must come after the bind.
  out=$(ct 'cd /src/kubegate
    start=$(date +%s%N)
    make install install-service start-service
    echo "make install install-service start-service took $(( ($(date +%s%N) - start) / 1000000 )) ms"
    echo "--- listening right after start-service returned:"; ss -Hltn') || { echo "$out"; return 1; }
  echo "$out"
  check "kubegate is active" test "$(prop ActiveState)/$(prop SubState)" = active/running
  check "port 6443 listening when start returned" grep -qE '0\.0\.0\.0:6443 ' <<<"$out"
  check "port 6444 listening when start returned" grep -qE '0\.0\.0\.0:6444 ' <<<"$out"
  check "admin 127.0.0.1:10000 listening when start returned" grep -qE '127\.0\.0\.1:10000 ' <<<"$out"
  # READY=1 (systemd's "Started") must follow kubegate's own "started: N listener(s) accepting".
  local journal
  journal=$(ct 'journalctl -o cat --no-pager -b')
  check "kubegate logged its listeners before systemd logged Started" \
    awk '/started: 2 listener\(s\) accepting/ { l = NR } /Started kubegate/ { s = NR } END { exit !(l && s && l < s) }' <<<"$journal"
  check "no dotnet in the container: make install took the published binary as is" ct '! command -v dotnet'
}

step_status_logs() {
  local out rc
  out=$(ct 'cd /src/kubegate && make status-service') || { echo "$out"; return 1; }
  echo "$out"
  check "status: active (running)" grep -q 'Active: active (running)' <<<"$out"
  check "status: kubegate's STATUS= line" grep -qE 'Status: ".+"' <<<"$out"
  # Not on a terminal, logs-service prints the journal and ends (on a terminal it follows).
  rc=0; out=$(ct 'cd /src/kubegate && timeout 20 make logs-service') || rc=$?
  echo "$out" | tail -n 15
  check "logs-service ends on its own when piped (exit $rc) and shows kubegate's lines" \
    test "$rc" = 0 -a -n "$(grep -E 'kubegate\[[0-9]+\]: kubegate\[101\] started' <<<"$out")"
  local ready
  ready=$(ct 'curl -s -o /dev/null -w "%{http_code}" --max-time 5 http://127.0.0.1:10000/ready')
  check "admin /ready answers 200 (got $ready)" test "$ready" = 200
  out=$(admin /stats)
  check "admin /stats has server.state 0 (live)" grep -qx 'server.state: 0' <<<"$out"
  check "both listeners accept connections" ct 'exec 3<>/dev/tcp/127.0.0.1/6443 && exec 4<>/dev/tcp/127.0.0.1/6444'
  # The first ping goes out WatchdogSec/2 = 15 s after start; systemd records each one.
  local first
  first=$(prop WatchdogTimestampMonotonic)
  wait_for 40 "watchdog ping received by systemd" \
    "[ \"\$(systemctl show --value -p WatchdogTimestampMonotonic kubegate)\" != '$first' ]"
  check "still active after the watchdog period" test "$(prop ActiveState)" = active
  # Warnings and errors: only the example's unreachable apiservers (health checks) may show up.
  ct 'journalctl -u kubegate -p warning -o cat --no-pager' | sed -n '1,4s/^/  expected: /p'
  out=$(ct 'journalctl -u kubegate -p warning -o cat --no-pager' | grep -viE 'health|192\.168\.1\.|unreachable|unhealthy' || true)
  check "no warnings or errors besides the failing health checks${out:+: $out}" test -z "$out"
}

step_reload() {
  # A local stand-in for cluster 2's apiserver (its health check is plain TCP): an echo service per connection.
  stand_in kg-e2e-echo 16444 /bin/cat
  local before after out
  before=$(prop ExecMainPID)
  ct "journalctl -u kubegate --show-cursor -n 0 --no-pager | sed -n 's/^-- cursor: //p' > /run/kg-e2e.cursor"
  ct "sed -i -e 's/address: 192\.168\.1\.21 /address: 127.0.0.1 /' -e 's/port_value: 6443/port_value: 16444/' /etc/kubegate/eds_cluster2.yaml
      grep -A1 'address: 127.0.0.1' /etc/kubegate/eds_cluster2.yaml"
  out=$(ct 'start=$(date +%s%N); systemctl reload kubegate
    echo "systemctl reload returned after $(( ($(date +%s%N) - start) / 1000000 )) ms"
    curl -sS --max-time 5 http://127.0.0.1:10000/clusters | grep -c "k8s_cluster2::127.0.0.1:16444::" || true')
  echo "$out"
  if [ "$(tail -n 1 <<<"$out")" != 0 ]; then
    echo "  ok: the new endpoint was in /clusters when systemctl reload returned"
  else
    # systemd < 253 ends the reload job when ExecReload (kill -HUP) exits, not at READY=1.
    echo "  note: systemctl reload returned before the new endpoint showed (systemd $(ct 'systemctl --version | sed -n "1s/systemd \([0-9]*\).*/\1/p"'))"
  fi
  wait_for 15 "new endpoint 127.0.0.1:16444 in /clusters" \
    'curl -sS --max-time 5 http://127.0.0.1:10000/clusters | grep "k8s_cluster2::127.0.0.1:16444::" >/dev/null'
  wait_for 40 "127.0.0.1:16444 healthy (TCP check against the stand-in)" \
    'curl -sS --max-time 5 http://127.0.0.1:10000/clusters | grep "k8s_cluster2::127.0.0.1:16444::health_flags::healthy" >/dev/null'
  out=$(ct 'journalctl -u kubegate --after-cursor "$(cat /run/kg-e2e.cursor)" -o cat --no-pager')
  echo "$out"
  check "journal: SIGHUP re-read the configuration" grep -q 'SIGHUP: re-reading every configuration file' <<<"$out"
  check "journal: the EDS update was accepted" grep -qE 'update accepted .*eds_cluster2\.yaml' <<<"$out"
  check "config_dump shows the new endpoint" ct 'curl -sS --max-time 5 "http://127.0.0.1:10000/config_dump?include_eds" | grep 16444 >/dev/null'
  # A reload that takes 3 s: a cluster is added whose first health check (3 s timeout) meets a server that accepts
  # and never answers, and kubegate warms an added cluster before READY=1. systemctl reload must wait for it. Without
  # the unit's pause after SIGHUP it returns early only when kill's exit beats RELOADING=1 (a race, now and then).
  stand_in kg-e2e-silent 16445 "/bin/sleep 30"
  ct 'cp /etc/kubegate/cds.yaml /run/kg-e2e.cds.yaml
    { cat /run/kg-e2e.cds.yaml; cat <<EOF; } > /run/kg-e2e.cds3.yaml

- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: k8s_cluster3
  type: STATIC
  connect_timeout: 5s
  load_assignment:
    cluster_name: k8s_cluster3
    endpoints:
    - lb_endpoints:
      - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 16445}}}
  health_checks:
  - {timeout: 3s, interval: 10s, unhealthy_threshold: 3, healthy_threshold: 2, http_health_check: {path: /readyz}}
EOF'
  ct "journalctl -u kubegate --show-cursor -n 0 --no-pager | sed -n 's/^-- cursor: //p' > /run/kg-e2e.cursor"
  # Edit and reload at once: the SIGHUP (tens of ms) comes before the file watcher's 250 ms debounce, so the reload
  # systemctl waits for is the one doing the 3 s of work (checked below in the journal).
  out=$(ct 'for i in 1 2 3 4 5; do
      cp /run/kg-e2e.cds3.yaml /etc/kubegate/.cds.yaml && mv /etc/kubegate/.cds.yaml /etc/kubegate/cds.yaml
      start=$(date +%s%N); systemctl reload kubegate; echo $(( ($(date +%s%N) - start) / 1000000 ))
      cp /run/kg-e2e.cds.yaml /etc/kubegate/.cds.yaml && mv /etc/kubegate/.cds.yaml /etc/kubegate/cds.yaml
      systemctl reload kubegate
    done')
  echo "  systemctl reload with a 3 s reload took (ms):" $out
  check "systemctl reload returned only after the 3 s reload, each time" \
    awk '$1 < 2900 { bad = 1 } END { exit bad || NR != 5 }' <<<"$out"
  local by_sighup
  # Health lines (the new cluster's failed first check) may come between the SIGHUP line and the end of the warm-up.
  by_sighup=$(ct 'journalctl -u kubegate --after-cursor "$(cat /run/kg-e2e.cursor)" -o cat --no-pager' \
    | awk '/SIGHUP: re-reading/ { s = 1; next } /first health checks of 1 cluster/ && s { n++ } /^kubegate/ && !/^kubegate\.health/ { s = 0 } END { print n + 0 }')
  check "the SIGHUP reload did the 3 s of work ($by_sighup of 5 times; the file watcher the others)" test "$by_sighup" -ge 3
  after=$(prop ExecMainPID)
  check "same process (PID $before), still active" test "$before" = "$after" -a "$(prop ActiveState)" = active
}

step_stop_drain() {
  # A client holding a connection through listener 6444 to the stand-in; it exits 0 once kubegate closes it.
  ct 'systemd-run --quiet --unit=kg-e2e-client --property=Type=exec -- /bin/bash -c "
      exec 3<>/dev/tcp/127.0.0.1/6444
      echo hello >&3
      read -r -t 5 reply <&3 && [ \"\$reply\" = hello ] && echo relayed: \$reply || exit 3
      while read -r -t 120 line <&3; do :; done
      echo closed by the proxy"'
  wait_for 10 "client relayed a line through 6444 and holds the connection" \
    'journalctl -u kg-e2e-client -o cat --no-pager | grep "relayed: hello" >/dev/null'
  check "kubegate counts 1 active connection" \
    grep -qx 'listener.0.0.0.0_6444.downstream_cx_active: 1' <<<"$(admin /stats)"
  ct "journalctl -u kubegate --show-cursor -n 0 --no-pager | sed -n 's/^-- cursor: //p' > /run/kg-e2e.cursor"
  local out took timeout
  out=$(ct 'cd /src/kubegate; start=$(date +%s); timeout 90 make stop-service; echo "took $(( $(date +%s) - start )) s"')
  echo "$out"
  took=$(sed -n 's/^took \([0-9]*\) s$/\1/p' <<<"$out")
  timeout=$(prop TimeoutStopUSec)
  ct 'journalctl -u kubegate --after-cursor "$(cat /run/kg-e2e.cursor)" -o cat --no-pager'
  out=$(ct 'journalctl -u kubegate --after-cursor "$(cat /run/kg-e2e.cursor)" -o cat --no-pager')
  check "journal: drain of the open connection" grep -qE 'stopping: no longer accepting; 1 open connection' <<<"$out"
  check "journal: stopped" grep -qE '(^| )stopped$' <<<"$out"
  check "exit status 0, result success ($(prop ExecMainStatus)/$(prop Result))" \
    test "$(prop ExecMainStatus)/$(prop Result)" = 0/success
  check "inactive" test "$(prop ActiveState)" = inactive
  check "stopped in ${took:-?} s, within TimeoutStopSec ($timeout)" test -n "$took" -a "${took:-999}" -lt 75
  check "the client saw the proxy close its connection" \
    ct 'journalctl -u kg-e2e-client -o cat --no-pager | grep "closed by the proxy" >/dev/null'
  # The unit's sandbox leaves only /var/log/kubegate writable: the installed config logs there, flushed at exit.
  check "access log written: $(ct 'tail -n 1 /var/log/kubegate/access.log 2>/dev/null | cut -c1-120' || true)" \
    ct 'grep -q "127.0.0.1:16444 k8s_cluster2" /var/log/kubegate/access.log'
}

step_watchdog() {
  ct 'systemctl start kubegate'
  local pid restarts wd
  pid=$(prop MainPID); restarts=$(prop NRestarts); wd=$(prop WatchdogUSec)
  echo "  MainPID $pid, NRestarts $restarts, WatchdogUSec $wd; kill -STOP $pid"
  ct "kill -STOP $pid"
  # WatchdogSec=30s, then SIGABRT (with SIGCONT), then RestartSec=2s: 60 s is ample.
  wait_for 60 "systemd restarted kubegate after the watchdog timeout" \
    "[ \"\$(systemctl show --value -p NRestarts kubegate)\" -gt $restarts ] && [ \"\$(systemctl show --value -p MainPID kubegate)\" != $pid ] && [ \"\$(systemctl show --value -p MainPID kubegate)\" != 0 ]"
  wait_for 30 "active again" '[ "$(systemctl is-active kubegate)" = active ]'
  ct 'journalctl -u kubegate -o cat --no-pager | grep -E "[Ww]atchdog|Scheduled restart|Main process exited" | tail -n 5'
  check "journal: watchdog timeout" ct 'journalctl -u kubegate -o cat --no-pager | grep "Watchdog timeout" >/dev/null'
  echo "  NRestarts now $(prop NRestarts), MainPID $(prop MainPID)"
}

step_uninstall() {
  ct 'systemctl stop kg-e2e-client kg-e2e-echo.socket kg-e2e-silent.socket 2>/dev/null || true
      rm -f /etc/systemd/system/kg-e2e-{echo,silent}.socket /etc/systemd/system/kg-e2e-{echo,silent}@.service
      systemctl daemon-reload'
  ct 'cd /src/kubegate && make uninstall-service'
  check "unit gone, not enabled, service stopped" ct '! systemctl cat kubegate.service >/dev/null 2>&1 && ! pgrep -x kubegate
      [ ! -e /etc/systemd/system/multi-user.target.wants/kubegate.service ]'
  ct 'cd /src/kubegate && make uninstall'
  echo "--- what remains:"
  ct 'ls -la /usr/local/bin/kubegate /etc/systemd/system/kubegate.service /etc/logrotate.d/kubegate 2>&1 | sed "s/^/  /" || true
      find /etc/kubegate /var/log/kubegate 2>/dev/null | sed "s/^/  /" || true; getent passwd kubegate | sed "s/^/  user: /"' || true
  check "binary, unit and logrotate snippet removed" \
    ct '[ ! -e /usr/local/bin/kubegate ] && [ ! -e /etc/systemd/system/kubegate.service ] && [ ! -e /etc/logrotate.d/kubegate ]'
  check "the edited eds_cluster2.yaml is kept, the unchanged files are removed" \
    ct '[ -f /etc/kubegate/eds_cluster2.yaml ] && [ ! -e /etc/kubegate/envoy.yaml ] && [ ! -e /etc/kubegate/eds_cluster1.yaml ]'
  ct 'cd /src/kubegate && make purge'
  check "purge removed /etc/kubegate and /var/log/kubegate" ct '[ ! -e /etc/kubegate ] && [ ! -e /var/log/kubegate ]'
}

step "1-2. make install install-service start-service: active, listeners bound before READY" step_install
step "2. make status-service, make logs-service, admin, watchdog pings, no unexpected warnings" step_status_logs
step "3. edit eds_cluster2.yaml, systemctl reload kubegate: applied, same process" step_reload
step "4. make stop-service with an open connection: drain, exit 0" step_stop_drain
step "5. watchdog: SIGSTOP -> killed and restarted" step_watchdog
step "6. make uninstall-service, make uninstall, make purge" step_uninstall

log "results"
printf '%s\n' "${results[@]}"
exit "$failed"
