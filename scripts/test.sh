#!/usr/bin/env bash
# Runs the whole test suite and ends with one summary line, "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
log=out/test.log
# The in-process servers run with the socket engine as the shipped binary configures it (Hosting/SocketEngineDefaults).
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
dotnet test kubegate.slnx -c Debug --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The failed tests again, each with the first lines of its message, just above the summary: the end of a long
# log is what a CI page shows.
awk '
  /^ +Failed [^ ]+ \[/ { name = $2; printing = 0; next }
  /^ +Error Message:/ && name != "" { print "FAILED " name; printing = 4; next }
  /^ +Stack Trace:/ { printing = 0; name = ""; next }
  printing > 0 { sub(/^ +/, "    "); print substr($0, 1, 300); printing-- }
' "$log"
awk '
  /(Passed|Failed)! +- +Failed: / {
    line = $0
    gsub(/,/, "", line)
    n = split(line, f, /[ \t]+/)
    for (i = 1; i <= n; i++) {
      if (f[i] == "Failed:") failed += f[i + 1]
      if (f[i] == "Passed:") passed += f[i + 1]
      if (f[i] == "Skipped:") skipped += f[i + 1]
    }
  }
  END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }
' "$log"
exit "$status"
