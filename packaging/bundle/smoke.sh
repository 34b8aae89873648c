#!/usr/bin/env bash
# The kiosk bundle's smoke journey (`make package-smoke`, docs/deployment.md): the built bundle,
# alone, from an empty folder with a bare environment (no virtual environment, no checkout on any
# path), does what a kiosk does first:
#   1. `isoloir --version`;
#   2. `isoloir demo setup DIR`: the demo election, the trustees' key ceremony, the sealed
#      package, the encrypted store (SQLCipher, libsodium, reportlab, the store's migrations);
#   3. the kiosk tour offscreen, in French and English (`isoloir -m ui.tour`, QT_QPA_PLATFORM=
#      offscreen): one demo voter through every page of the real window, ballots cast and papers
#      printed as PDFs;
#   4. `isoloir demo kiosk DIR` with no display: the same tour in real X11 windows under Xvfb
#      (the bundle's xcb platform plugin; xvfb-run is a system program the bundle starts);
#   5. `isoloir verify receipt` on a printed proof of deposit (reading its QR code: zbar);
#   6. `isoloir server run` on the demo package (SQLite, one worker): /health answers, and SIGTERM
#      stops it gracefully. (Several workers need PostgreSQL: docs/deployment.md says how they
#      were checked.)
# Exit 0 only if every step passes and every page was saved.
set -euo pipefail

bundle=$(realpath "${1:?usage: smoke.sh PATH/TO/dist/isoloir/isoloir}")
work=$(mktemp -d -t isoloir-smoke-XXXXXX)
server=
# A failed step leaves no server behind, nor any file.
trap 'if [ -n "$server" ]; then kill "$server" 2> /dev/null || true; fi; rm -rf "$work"' EXIT
cd "$work"
# A bare environment: the bundle must need nothing of the build machine's Python.
run() { env -i PATH=/usr/bin:/bin HOME="$work" LANG=C.UTF-8 "$@"; }

step() { printf '\n== %s\n' "$*"; }
pages() { find "$1" -name '*.png' | wc -l; }

step "isoloir --version"
run "$bundle" --version

step "isoloir demo setup"
run "$bundle" demo setup "$work/kiosk"
test -f "$work/kiosk/kiosk.db"
test -f "$work/kiosk/kiosk-store.key"

step "kiosk tour, offscreen, French and English"
run QT_QPA_PLATFORM=offscreen "$bundle" -m ui.tour --store "$work/kiosk/kiosk.db" \
    --key-file "$work/kiosk/kiosk-store.key" --out "$work/tour-offscreen" --languages fr,en
offscreen=$(pages "$work/tour-offscreen")
french=$(find "$work/tour-offscreen" -name '*-fr.png' | wc -l)
english=$(find "$work/tour-offscreen" -name '*-en.png' | wc -l)
test "$french" -gt 0
test "$english" -eq "$french"  # every page in English too (the .qm inside the bundle)

step "isoloir demo kiosk without a display: the tour under Xvfb"
run "$bundle" demo kiosk "$work/kiosk" --out "$work/tour-xvfb"
xvfb=$(pages "$work/tour-xvfb")
test "$xvfb" -gt 0
test "$offscreen" -eq $((2 * xvfb))  # every page, in two languages

step "isoloir verify receipt (the QR code of a printed proof of deposit)"
receipt=$(find "$work/kiosk/prints/depot" -name '*.pdf' | sort | head -n 1)
run "$bundle" verify receipt "$receipt" --package "$work/kiosk/package"

step "isoloir server run: /health, then SIGTERM"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
# env itself, not the function run: $! must be the server's own process, not a subshell's.
env -i PATH=/usr/bin:/bin HOME="$work" LANG=C.UTF-8 ISOLOIR_SERVER_DB="sqlite:///$work/server.db" \
    "$bundle" --log-level INFO server run --package "$work/kiosk/package" --port "$port" \
    > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 300); do  # at most 30 s to start
    grep -q "Application startup complete" "$work/server.log" && break
    kill -0 "$server" 2> /dev/null || break
    sleep 0.1
done
exec 3<> "/dev/tcp/127.0.0.1/$port"
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
health=$(cat <&3)
exec 3<&-
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=
# 143: uvicorn shuts down gracefully, then dies of the SIGTERM it caught, as systemd expects.
test "$status" -eq 0 -o "$status" -eq 143
grep -q "Application shutdown complete" "$work/server.log"
grep -q '^HTTP/1.1 200' <<< "$health"
grep -q '"status":"ok"' <<< "$health"

printf '\nsmoke journey passed: %s pages offscreen, %s under Xvfb\n' "$offscreen" "$xvfb"
