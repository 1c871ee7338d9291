#!/usr/bin/env bash
# kubegate soak: the published binary for SOAK_MINUTES (default 30) under streams, requests and watches on 127.0.0.1
# while its config reloads every 10 s and endpoints flap; writes docs/reliability.md (soak section) and docs/soak.png.
#
#   make soak                    # make publish, then this script: 30 minutes
#   SOAK_MINUTES=2 make soak     # a short run, for development
#   bash soak/run.sh --keep-dir  # with the binary make publish left in out/kubegate; keeps the run's directory
#
# KUBEGATE=<path> picks the binary (default out/kubegate, which must be the NativeAOT build). With no font on the
# machine, fonts-dejavu-core is installed for the plot's text (apt-get; sudo when not root). See soak/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
die() { echo "soak: $*" >&2; exit 2; }

# The plot's text needs a font file: ScottPlot's SkiaSharp (the NoDependencies build) finds them in the usual folders.
missing=()
[[ -n $(find /usr/share/fonts /usr/local/share/fonts -name '*.ttf' -print -quit 2> /dev/null) ]] || missing+=(fonts-dejavu-core)
if ((${#missing[@]})); then
    echo "soak: installing from Debian: ${missing[*]}"
    sudo=()
    if ((EUID != 0)); then
        command -v sudo > /dev/null 2>&1 || die "need root or sudo to install: ${missing[*]} (apt-get install ${missing[*]})"
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" || die "could not install ${missing[*]}"
fi

kubegate=${KUBEGATE:-$root/out/kubegate}
[[ -x $kubegate ]] || die "no kubegate binary at $kubegate: run 'make publish' first or set KUBEGATE=<path>"
# Soak the shipped NativeAOT binary (~15 MB), not the framework-dependent apphost of `make build` (~100 KB).
(($(stat -c %s "$kubegate") > 4000000)) \
    || die "$kubegate is the framework-dependent build (make build); run 'make publish' for the NativeAOT binary"

# The command recorded in the report: how this run was started, without machine-specific paths.
minutes=${SOAK_MINUTES:-30}
if [[ -n ${MAKELEVEL:-} ]]; then command="make soak"; else command="bash soak/run.sh"; fi
[[ $minutes != 30 ]] && command="SOAK_MINUTES=$minutes $command"
[[ -n ${KUBEGATE:-} ]] && command="KUBEGATE=<path> $command"

cd "$root"
dotnet build soak/Kubegate.Soak -c Release --nologo -v quiet
exec dotnet soak/Kubegate.Soak/bin/Release/net10.0/kubegate-soak.dll --kubegate "$kubegate" --minutes "$minutes" \
    --report docs/reliability.md --plot docs/soak.png --command "$command" "$@"
