#!/usr/bin/env bash
# The README's quick start, run as written, offline: every command it shows, in order, each
# printed as "$ command" and followed by what it printed (stdout and stderr as a terminal shows
# them). tests/test_quickstart.py runs this and compares the transcript with the README.
#
#   bash examples/quickstart.sh
#
# It works in a fresh folder (QUICKSTART_DIR, default a new temporary folder; it must not exist
# or be empty) with its own HOME, XDG_CONFIG_HOME and XDG_CACHE_HOME there, so it never touches
# your keys, trust file or cache. It serves examples/site on 127.0.0.1:$QUICKSTART_SITE_PORT
# (default 8765) and the test TSA of examples/tsa.py on 127.0.0.1:$QUICKSTART_TSA_PORT (default
# 8766), and stops both on exit. archiver, bagit.py and the Python that runs the TSA come from
# $QUICKSTART_VENV/bin (default: the checkout's .venv, made by the README's set-up commands),
# then PATH. Step 6 runs in a copy of this repository's own collection (manifests/, corpus/).
# The folder stays when it ends, for you to look at (harbour-case/report.html).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
site_port=${QUICKSTART_SITE_PORT:-8765}
tsa_port=${QUICKSTART_TSA_PORT:-8766}
venv=${QUICKSTART_VENV:-$repo/.venv}
[ -d "$venv/bin" ] && PATH="$venv/bin:$PATH"
for tool in archiver bagit.py; do
    command -v "$tool" >/dev/null || {
        echo "quickstart.sh: $tool not found (run the README's first set-up command," \
             "or set QUICKSTART_VENV to a venv with archiver installed)" >&2
        exit 2
    }
done
for tool in openssl unzip; do
    command -v "$tool" >/dev/null || {
        echo "quickstart.sh: $tool not found; install it (apt-get install $tool)" >&2
        exit 2
    }
done

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for setting in QUICKSTART_SITE_PORT:$site_port QUICKSTART_TSA_PORT:$tsa_port; do
    if listening "${setting#*:}"; then
        echo "quickstart.sh: something already listens on 127.0.0.1:${setting#*:};" \
             "set ${setting%%:*} to a free port" >&2
        exit 2
    fi
done
if [ -n "${QUICKSTART_DIR:-}" ]; then
    work=$QUICKSTART_DIR
    mkdir -p "$work"
    [ -z "$(ls -A "$work")" ] || { echo "quickstart.sh: $work is not empty" >&2; exit 2; }
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/archiver-quickstart.XXXXXX")
fi
work=$(cd "$work" && pwd -P)

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_CACHE_HOME=$work/home/.cache
export PYTHONUNBUFFERED=1  # stdout and stderr interleave as on a terminal
mkdir -p "$HOME"
cp "$repo/examples/from-union.txt" "$work/"
mkdir "$work/own" && cp -r "$repo/manifests" "$repo/corpus" "$work/own/"

python3 -m http.server --bind 127.0.0.1 --directory "$repo/examples/site" "$site_port" \
    >"$work/site.log" 2>&1 &
pids+=($!)
python3 "$repo/examples/tsa.py" --port "$tsa_port" --ca-out "$work/test-tsa-ca.pem" \
    >"$work/tsa.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do  # up to a minute on a loaded machine
    [ -f "$work/test-tsa-ca.pem" ] && listening "$site_port" && break
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || {
            echo "quickstart.sh: a server did not start:" >&2; cat "$work"/*.log >&2; exit 2; }
    done
    sleep 0.1
done
[ -f "$work/test-tsa-ca.pem" ] && listening "$site_port" && listening "$tsa_port" || {
    echo "quickstart.sh: the servers did not start within a minute:" >&2
    cat "$work"/*.log >&2
    exit 2
}

# run COMMAND: print it as typed, then run it in this shell (a cd stays), whatever its status
run() {
    printf '$ %s\n' "$1"
    eval "$1" 2>&1 || true
}

site=http://127.0.0.1:$site_port
cd "$work"
echo "quickstart.sh: working in $work" >&2
run "archiver init --root harbour-case && cd harbour-case"
run "archiver capture $site/harbour.html --new-id harbour-ruling --allow-private"
run "archiver add ../from-union.txt --id union-copy --url $site/harbour.html \\
    --title \"Harbour stays open (copy from the union)\" --received-from \"fishers' union\""
run "archiver capture --id union-copy --allow-private"
run "archiver verify"
run "archiver repair union-copy"
run "archiver repair union-copy --apply"
(cd "$work/own" && run "archiver accept 001_ccd05f44f5e742bf duplicate-line --reason \"the caption repeats the photo's alt text\" --by \"A. Editor\"")
run "archiver report --output report.html"
run "archiver key new alice"
run "archiver seal --tsa http://127.0.0.1:$tsa_port/good --tsa-ca ../test-tsa-ca.pem --message \"harbour ruling: captures and the union's copy\""
seal=$(cd seals && ls -d 000001-*)
run "ls -C seals/$seal"
run "archiver verify"
run "archiver export wacz ../harbour.wacz --title \"The harbour ruling\""
run "archiver export bagit ../harbour-deposit --info \"Source-Organization=Example Library\""
run "bagit.py --validate ../harbour-deposit 2>&1 | tail -n 1"
run "cp -r ../harbour-deposit/data ../deposit-check && archiver verify --root ../deposit-check | head -3"
run "S=seals/$seal; unzip -q ../harbour.wacz \"\$S.*\" keys/alice.pub -d ../out && cd ../out"
run "openssl ts -verify -data \$S.seal.json -in \$S.tsa-1.tsr -untrusted \$S.tsa-1.pem -CAfile ../test-tsa-ca.pem"
run "openssl pkeyutl -verify -pubin -inkey keys/alice.pub -rawin -in \$S.seal.json -sigfile \$S.seal.sig"
