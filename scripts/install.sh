#!/usr/bin/env bash
# `make install`, `make uninstall`, `make purge`, `make install-service`, `make uninstall-service`.
#
#   install            binary -> BINDIR, example config -> CONFDIR (only if CONFDIR has no envoy.yaml yet, and never
#                      over an existing file), unit -> UNITDIR, logrotate snippet -> LOGROTATEDIR (if that exists)
#   uninstall          removes the binary, the unit, the logrotate snippet and every config file that is still
#                      exactly as install wrote it; edited config files are kept (and listed)
#   purge              uninstall, then remove CONFDIR and LOGDIR with everything in them
#   service-install    unit -> /etc/systemd/system, `kubegate` system user, daemon-reload, enable (not start)
#   service-uninstall  stop, disable, remove the unit, daemon-reload (the user and the files stay)
#
# Every location comes from the environment (the Makefile passes its variables); DESTDIR is prepended to each
# when writing, but the files name the final locations, so a DESTDIR tree can be packaged or copied as is.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DESTDIR:=}"
: "${PREFIX:=/usr/local}"
: "${BINDIR:=$PREFIX/bin}"
: "${SYSCONFDIR:=/etc}"
: "${CONFDIR:=$SYSCONFDIR/kubegate}"
: "${LOGDIR:=/var/log/kubegate}"
: "${UNITDIR:=/etc/systemd/system}"
: "${LOGROTATEDIR:=$SYSCONFDIR/logrotate.d}"
: "${KUBEGATE:=out/kubegate}"
: "${CHECK_BINARY:=1}"

service=kubegate
example=examples/k8s-api-proxy
# The example config, relative to $example; the same names relative to CONFDIR once installed.
config_files=(envoy.yaml lds.yaml cds.yaml eds_cluster1.yaml eds_cluster2.yaml pki/cluster1-ca.crt)
# Checksums of the config files install wrote, so uninstall can tell them from the operator's edits.
manifest_name=.make-install.sha256
system_unitdir=/etc/systemd/system

die() { echo "error: $*" >&2; exit 1; }
say() { echo "  $*"; }

# systemctl is only touched for the running system's own unit directory, never for a DESTDIR or test tree.
manages_running_systemd() {
  [ -z "$DESTDIR" ] && [ "$UNITDIR" = "$system_unitdir" ] && [ -d /run/systemd/system ]
}

# Example paths (repository-relative, resolved against the working directory as Envoy does) -> installed paths;
# the access log goes to a file, because under systemd stdout is the journal.
render_config() { # render_config <example file> <installed name>
  printf '# Installed by `make install` from %s/%s: paths point at %s, the access log is %s/access.log.\n' \
    "$example" "$2" "$CONFDIR" "$LOGDIR"
  sed -e "s#$example/#$CONFDIR/#g" -e "s#path: /dev/stdout#path: $LOGDIR/access.log#" "$1"
}

render_unit() {
  sed -e "s#/usr/local/bin/kubegate#$BINDIR/kubegate#g" -e "s#/etc/kubegate#$CONFDIR#g" \
    -e "s#/var/log/kubegate#$LOGDIR#g" deploy/kubegate.service
}

render_logrotate() {
  sed -e "s#/var/log/kubegate#$LOGDIR#g" "$example/logrotate.conf"
}

# Writes stdin to <target> with <mode>, atomically, so a running kubegate never reads half a file.
write_file() { # write_file <mode> <target>
  local tmp
  mkdir -p "$(dirname "$2")"
  tmp=$(mktemp "$(dirname "$2")/.install.XXXXXX")
  cat > "$tmp"
  chmod "$1" "$tmp"
  mv -f "$tmp" "$2"
}

check_binary() {
  [ -f "$KUBEGATE" ] || die "$KUBEGATE does not exist; run \`make publish\` first (as your user, not root)"
  [ "$CHECK_BINARY" = 1 ] || return 0
  # A framework-dependent build (`make build`) is a small launcher that needs kubegate.dll and the .NET runtime
  # next to it; copied alone to BINDIR it cannot start. Run a lone copy to be sure this is the single binary.
  local probe
  probe=$(mktemp -d)
  cp "$KUBEGATE" "$probe/kubegate"
  if ! "$probe/kubegate" --version >/dev/null 2>&1; then
    rm -rf "$probe"
    die "$KUBEGATE does not run on its own (a framework-dependent \`make build\`?); run \`make publish\` for the NativeAOT single binary"
  fi
  rm -rf "$probe"
}

do_install() {
  check_binary
  echo "installing kubegate into ${DESTDIR:-/}"

  install -D -m 0755 "$KUBEGATE" "$DESTDIR$BINDIR/kubegate"
  say "$BINDIR/kubegate"

  local confdir="$DESTDIR$CONFDIR"
  if [ -e "$confdir/envoy.yaml" ]; then
    say "$CONFDIR/envoy.yaml exists: configuration left as it is (the example is not installed)"
  else
    local f written=()
    for f in "${config_files[@]}"; do
      if [ -e "$confdir/$f" ]; then
        say "$CONFDIR/$f exists: kept"
        continue
      fi
      case "$f" in
        *.yaml) render_config "$example/$f" "$f" | write_file 0644 "$confdir/$f" ;;
        *) write_file 0644 "$confdir/$f" < "$example/$f" ;;
      esac
      written+=("$f")
      say "$CONFDIR/$f"
    done
    if [ ${#written[@]} -gt 0 ]; then
      (cd "$confdir" && sha256sum -- "${written[@]}") | write_file 0644 "$confdir/$manifest_name"
    fi
    echo "  edit the apiserver addresses in $CONFDIR/eds_cluster*.yaml and the CA in $CONFDIR/pki/, then check them with"
    echo "    $BINDIR/kubegate --mode validate -c $CONFDIR/envoy.yaml"
  fi

  render_unit | write_file 0644 "$DESTDIR$UNITDIR/$service.service"
  say "$UNITDIR/$service.service"

  if [ -d "$DESTDIR$LOGROTATEDIR" ]; then
    render_logrotate | write_file 0644 "$DESTDIR$LOGROTATEDIR/$service"
    say "$LOGROTATEDIR/$service"
  else
    say "no $LOGROTATEDIR: logrotate snippet not installed"
  fi

  if manages_running_systemd; then
    echo "next: make install-service start-service (or systemctl daemon-reload if the service is installed already)"
  fi
}

remove() { # remove <installed path>
  if [ -e "$DESTDIR$1" ] || [ -L "$DESTDIR$1" ]; then
    rm -f -- "$DESTDIR$1"
    say "removed $1"
  fi
}

do_uninstall() {
  echo "uninstalling kubegate from ${DESTDIR:-/}"
  if manages_running_systemd && [ -e "$UNITDIR/$service.service" ]; then
    systemctl disable --now "$service.service" || true
  fi

  remove "$BINDIR/kubegate"
  remove "$UNITDIR/$service.service"
  remove "$LOGROTATEDIR/$service"
  if manages_running_systemd; then
    systemctl daemon-reload
    systemctl reset-failed "$service.service" 2>/dev/null || true
  fi

  local confdir="$DESTDIR$CONFDIR"
  if [ -f "$confdir/$manifest_name" ]; then
    local sum f
    while read -r sum f; do
      [ -e "$confdir/$f" ] || continue
      if [ "$(sha256sum < "$confdir/$f" | cut -d' ' -f1)" = "$sum" ]; then
        rm -f -- "$confdir/$f"
        say "removed $CONFDIR/$f"
      else
        say "kept $CONFDIR/$f (changed since install; \`make purge\` removes it)"
      fi
    done < "$confdir/$manifest_name"
    rm -f -- "$confdir/$manifest_name"
    rmdir -- "$confdir/pki" "$confdir" 2>/dev/null || true
  elif [ -d "$confdir" ]; then
    say "kept $CONFDIR (no record of files make install wrote there; \`make purge\` removes it)"
  fi
  if [ -d "$confdir" ]; then
    say "kept $CONFDIR: $(cd "$confdir" && find . -mindepth 1 -not -type d | sed 's#^\./##' | tr '\n' ' ')"
  fi
}

do_purge() {
  do_uninstall
  local dir
  for dir in "$CONFDIR" "$LOGDIR"; do
    if [ -n "$dir" ] && [ "$dir" != / ] && [ -d "$DESTDIR$dir" ]; then
      rm -rf -- "$DESTDIR$dir"
      say "removed $dir"
    fi
  done
  if getent passwd "$service" >/dev/null 2>&1 && [ -z "$DESTDIR" ]; then
    say "the $service system user stays (files elsewhere may belong to it): userdel $service removes it"
  fi
}

require_systemd() {
  [ -d /run/systemd/system ] || die "systemd is not running on this machine (no /run/systemd/system)"
  [ "$(id -u)" = 0 ] || die "needs root: sudo make $1"
}

do_service_install() {
  require_systemd install-service
  [ -x "$BINDIR/kubegate" ] || die "$BINDIR/kubegate is missing: make publish && sudo make install"
  [ -f "$CONFDIR/envoy.yaml" ] || die "$CONFDIR/envoy.yaml is missing: sudo make install"
  if ! getent passwd "$service" >/dev/null; then
    local group_opt=--user-group
    getent group "$service" >/dev/null && group_opt="--gid $service"
    # shellcheck disable=SC2086 # group_opt is one or two words on purpose
    useradd --system $group_opt --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      --comment "kubegate gateway" "$service"
    say "created system user $service"
  fi
  render_unit | write_file 0644 "$system_unitdir/$service.service"
  say "$system_unitdir/$service.service"
  systemctl daemon-reload
  systemctl enable "$service.service"
  echo "installed and enabled; start it with: make start-service"
}

do_service_uninstall() {
  require_systemd uninstall-service
  systemctl disable --now "$service.service" 2>/dev/null || true
  rm -f -- "$system_unitdir/$service.service"
  systemctl daemon-reload
  systemctl reset-failed "$service.service" 2>/dev/null || true
  say "stopped, disabled and removed $service.service (binary, config, logs and the $service user stay)"
}

case "${1:-}" in
  install) do_install ;;
  uninstall) do_uninstall ;;
  purge) do_purge ;;
  service-install) do_service_install ;;
  service-uninstall) do_service_uninstall ;;
  *) die "usage: $0 install|uninstall|purge|service-install|service-uninstall" ;;
esac
