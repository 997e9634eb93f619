#!/usr/bin/env bash
# A/B of two release builds of reclamos, alternating runs (old first in odd rounds, new first
# in even ones), each run on a fresh copy of a database with 40,000 load customers made by
# its own build, each build driven by its own load generator (docs/performance.md).
#
# Usage: OLD=path/to/old-reclamos NEW=path/to/new-reclamos benches/ab.sh ROUNDS SCENARIO...
# Scenarios: startup, menu (--menu-rounds 10), m0 and m30 (--menu-rounds 0 and 30: their
# difference is the marginal cost of a menu round trip), s9k, s20k, hold (10,000 idle
# connections), echo (the floor), chat (40 executives, half the customers chat; the new
# build's generator drives both); e9k and e20k are s9k and s20k on equal work: both builds
# driven by the new build's load generator with free texts both classifiers treat alike
# (three restarts or lists and one sentence neither understands), where s9k/s20k run each
# build's own generator, whose billing question the new build sends to an executive. Output: one JSON line per run in $OUT (the load
# generator's report plus the server's CPU seconds from /proc), logs in $WORK/runs/.
# The new build is started with the per-address limits off (every simulated customer comes
# from 127.0.0.1); set NEW_IS_OLD_STYLE=1 when the new build predates those options, and
# OLD_IS_NEW_STYLE=1 when the old build has them too.
set -u
# Each run starts on a fresh file (builds before --create-db ignore this).
export RECLAMOS_CREATE_DB=1
ulimit -n 65536 2>/dev/null || ulimit -n 20000
WORK=${WORK:-/tmp/reclamos-ab}
OLD=${OLD:?set OLD to the old build's binary}
NEW=${NEW:?set NEW to the new build's binary}
ROUNDS=$1; shift
SCEN=("$@")
OUT=${OUT:-$WORK/ab.out}
RUNS=$WORK/runs
mkdir -p "$RUNS"
PORT=17100
APORT=17101

flags() { # extra server flags per build
  if { [ "$1" = new ] && [ -z "${NEW_IS_OLD_STYLE:-}" ]; } || { [ "$1" = old ] && [ -n "${OLD_IS_NEW_STYLE:-}" ]; }; then
    echo "--max-pre-login-connections 20000 --max-pre-login-per-address 100000 --address-connections off --address-logins off --address-registrations off --address-token-attempts off"
  fi
}
bin() { if [ "$1" = old ]; then echo $OLD; else echo $NEW; fi; }

wait_free() {
  for _ in $(seq 1 600); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then return 0; fi
    sleep 0.05
  done
}
# Starts a server; echoes its pid; waits until it listens (30 s at most).
start() { # build db
  local b=$1 db=$2
  wait_free
  $(bin $b) server --port $PORT --agent-port $APORT --db "$db" --token-file $WORK/token \
    --max-connections 20000 $(flags $b) > "$RUNS/console-$b.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 3000); do
    if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then echo $pid; return 0; fi
    sleep 0.01
  done
  echo $pid
}
cpu_s() { # utime+stime of pid, seconds
  awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' /proc/$1/stat
}
template() { # build -> template db with 40,000 load customers
  local b=$1 t=$WORK/template-$b.db
  if [ ! -f $t ]; then
    rm -f $t*
    wait_free
    $(bin $b) server --port $PORT --agent-port $APORT --db $t --token-file $WORK/token \
      --demo-load-customers 40000 $(flags $b) > /dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 1 6000); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.05; done
    kill $pid; wait $pid 2>/dev/null
  fi
  echo $t
}
run() { # build scenario round
  local b=$1 s=$2 r=$3 db=$WORK/ab-$b.db
  rm -f $WORK/ab-$b.db*
  local load=$(cut -d' ' -f1 /proc/loadavg)
  case $s in
    startup)
      wait_free
      local t0=$(date +%s%N)
      local pid=$(start $b $db)
      local t1=$(date +%s%N)
      kill $pid; wait $pid 2>/dev/null
      echo "{\"build\":\"$b\",\"scenario\":\"$s\",\"round\":$r,\"load\":$load,\"startup_ms\":$(( (t1 - t0) / 1000000 ))}" >> $OUT
      return ;;
    echo)
      local json=$($NEW loadtest --customers 10000 --concurrency 1000 --think-ms 100 --ramp-up-ms 1000 --echo-server --json 2>/dev/null | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)))")
      echo "{\"build\":\"echo\",\"scenario\":\"$s\",\"round\":$r,\"load\":$load,\"report\":$json}" >> $OUT
      return ;;
  esac
  local t=$(template $b)
  cp "$t" $db
  # A template whose server was stopped before its checkpoint keeps its rows in the WAL.
  if [ -s "$t-wal" ]; then cp "$t-wal" "$db-wal"; fi
  local pid=$(start $b $db)
  # Start-up's own work is measured by the startup scenario: the new build trains its
  # classifier after it listens, which would count in the load's CPU and the baseline RSS.
  sleep 1
  local c0=$(cpu_s $pid)
  local args
  case $s in
    s9k) args="--customers 10000 --concurrency 1000 --think-ms 100 --ramp-up-ms 1000" ;;
    s20k) args="--customers 40000 --concurrency 2200 --think-ms 100 --ramp-up-ms 1000" ;;
    m0) args="--customers 4000 --concurrency 1000 --think-ms 100 --ramp-up-ms 1000 --menu-rounds 0" ;;
    m30) args="--customers 4000 --concurrency 1000 --think-ms 100 --ramp-up-ms 1000 --menu-rounds 30" ;;
    menu) args="--customers 4000 --concurrency 1000 --think-ms 100 --ramp-up-ms 1000 --menu-rounds 10" ;;
    e9k) args="--customers 10000 --concurrency 1000 --think-ms 100 --ramp-up-ms 1000" ;;
    e20k) args="--customers 40000 --concurrency 2200 --think-ms 100 --ramp-up-ms 1000" ;;
    hold) args="--customers 10000 --hold --hold-ms 3000 --server-pid $pid --ramp-up-ms 4000" ;;
    chat) args="--customers 3000 --concurrency 600 --think-ms 100 --ramp-up-ms 1000 --agents 40 --chat-percent 50 --agent-rate 10 --token-file $WORK/token" ;;
  esac
  local driver=$(bin $b)
  local equal=()
  case $s in
    chat) driver=$NEW ;;
    e9k|e20k)
      driver=$NEW
      equal=(--free-text "no me funciona el internet desde ayer"
        --free-text "quiero saber el estado de mis solicitudes"
        --free-text "la television se ve pixelada, pueden reiniciar el servicio?"
        --free-text "cuál es la capital de francia") ;;
  esac
  local json=$($driver loadtest --port $PORT --agent-port $APORT $args "${equal[@]}" --json 2> "$RUNS/$b-$s-$r.err" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)))")
  local c1=$(cpu_s $pid)
  kill $pid; wait $pid 2>/dev/null
  echo "{\"build\":\"$b\",\"scenario\":\"$s\",\"round\":$r,\"load\":$load,\"server_cpu_s\":$(echo "$c1 - $c0" | bc),\"report\":${json:-null}}" >> $OUT
}

for r in $(seq 1 $ROUNDS); do
  if [ $((r % 2)) = 1 ]; then order="old new"; else order="new old"; fi
  for s in "${SCEN[@]}"; do
    for b in $order; do
      [ $s = echo ] && [ $b = old ] && continue
      run $b $s $r
      echo "round $r $s $b done $(date +%T)" >&2
    done
  done
done
