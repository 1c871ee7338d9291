#!/usr/bin/env bash
# kubegate macro-benchmark: kubegate vs HAProxy (plain and tuned) vs nginx stream vs direct, on 127.0.0.1 only.
#
#   bash bench/run.sh            # full run: 3 interleaved rounds, ~20 min; writes bench/results/<time>.md and bench/RESULTS.md
#   bash bench/run.sh --quick    # 1 round, short loads (~2-3 min), for development; writes bench/results/quick-<time>.md
#   BENCH_QUICK=1 make bench     # the same through make
#   bash bench/run.sh --quick --only kubegate,haproxy --workloads W1,W6    # a subset: writes results/partial-<time>.md
#                                # (quick-<time>.md with --quick); contestants: direct, haproxy, haproxy-tuned,
#                                # haproxy-splice, nginx, kubegate; workloads: W1, W1h2, W2, W3, W4, W5, W6
#
# KUBEGATE=<path> picks the binary (default: out/kubegate from `make publish`, which must be the NativeAOT build).
# Missing tools are installed from Debian (apt-get; sudo when not root). See bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
quick=${BENCH_QUICK:-0}
extra=()
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) extra+=("$arg") ;;
    esac
done

die() { echo "bench: $*" >&2; exit 1; }

# command -> Debian package
declare -A packages=([haproxy]=haproxy [nginx]=nginx [wrk]=wrk [h2load]=nghttp2-client [iperf3]=iperf3
    [openssl]=openssl [python3]=python3)
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
missing=()
for tool in "${!packages[@]}"; do
    command -v "$tool" > /dev/null 2>&1 || missing+=("${packages[$tool]}")
done
[[ -e $stream_module ]] || missing+=(libnginx-mod-stream)
if ((${#missing[@]})); then
    echo "bench: installing from Debian: ${missing[*]}"
    sudo=()
    if ((EUID != 0)); then
        command -v sudo > /dev/null 2>&1 || die "need root or sudo to install: ${missing[*]} (apt-get install ${missing[*]})"
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
    # policy-rc.d or not, the packaged services are not needed: the harness runs its own instances.
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || die "could not install ${missing[*]}; install them by hand and retry"
    for tool in "${!packages[@]}"; do
        command -v "$tool" > /dev/null 2>&1 || die "'$tool' is still missing after installing ${packages[$tool]}"
    done
    [[ -e $stream_module ]] || die "nginx stream module $stream_module is still missing (libnginx-mod-stream)"
fi

kubegate=${KUBEGATE:-$root/out/kubegate}
[[ -x $kubegate ]] || die "no kubegate binary at $kubegate: run 'make publish' first or set KUBEGATE=<path>"
# Benchmark the shipped NativeAOT binary (~15 MB), not the framework-dependent apphost of `make build` (~100 KB,
# which needs kubegate.dll beside it); both land in out/, so the size tells them apart.
(($(stat -c %s "$kubegate") > 4000000)) \
    || die "$kubegate is the framework-dependent build (make build); run 'make publish' for the NativeAOT binary"

# The command recorded in the results: how this run was started, without machine-specific paths.
if [[ -n ${MAKELEVEL:-} ]]; then command="make bench"; else command="bash bench/run.sh"; fi
((quick)) && command="BENCH_QUICK=1 $command"
[[ -n ${KUBEGATE:-} ]] && command="KUBEGATE=<path> $command"
args=(--kubegate "$kubegate" --command "$command")
((quick)) && args+=(--quick)
cd "$root"
exec python3 "$here/bench.py" "${args[@]}" "${extra[@]}"
