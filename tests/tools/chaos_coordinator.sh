#!/usr/bin/env bash
# Kills the coordinator of `autoaug optimize --study` with SIGKILL at random moments, resumes it
# each time, and checks that nothing was lost or duplicated and that no worker outlived it.
#
#   tests/tools/chaos_coordinator.sh AUTOAUG [ROUNDS] [TRIALS] [WORKERS] [SEED]
#
# The objective prints its own trial number, so each completed trial's value names it: a trial
# completed twice, or completed under another number, shows up as a duplicate value.
set -euo pipefail
autoaug="${1:?usage: chaos_coordinator.sh AUTOAUG [ROUNDS] [TRIALS] [WORKERS] [SEED]}"
rounds="${2:-10}"
trials="${3:-200}"
workers="${4:-4}"
RANDOM="${5:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/space.json" <<'SPACE'
{"dimensions": [{"name": "x", "type": "real", "low": -5, "high": 10},
                {"name": "k", "type": "integer", "low": 0, "high": 1000000}]}
SPACE
study="$work/study"
objective='cat >/dev/null; echo $AUTOAUG_TRIAL'
start=(--study "$study" --space "$work/space.json" --objective-cmd "$objective" --trials "$trials"
       --strategy random --workers "$workers" --quiet)

# Waits up to 10 s for the processes in "$@" to be gone.
all_gone() {
  for _ in $(seq 100); do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}

completed() {
  if [ -e "$study/study.db" ]; then
    sqlite3 "file:$study/study.db?mode=ro" "SELECT COUNT(*) FROM trials WHERE state = 2" \
      2>/dev/null || echo 0
  else
    echo 0
  fi
}

kills=0
for round in $(seq "$rounds"); do
  if [ -e "$study/study.db" ]; then args=(--study "$study" --resume --workers "$workers" --quiet)
  else args=("${start[@]}"); fi
  "$autoaug" optimize "${args[@]}" >"$work/out" 2>"$work/err" &
  coordinator=$!
  # Kill it mid-run: once a random number (1-40) of further trials is complete, plus a random
  # fraction of a second. The store is read with the sqlite3 command, as any observer would.
  before=$(completed)
  goal=$((before + RANDOM % 40 + 1))
  for _ in $(seq 600); do
    [ "$(completed)" -ge "$goal" ] && break
    kill -0 "$coordinator" 2>/dev/null || break
    sleep 0.05
  done
  sleep "0.$((RANDOM % 10))"
  children=$(ps -o pid= --ppid "$coordinator" || true)
  if kill -9 "$coordinator" 2>/dev/null; then
    kills=$((kills + 1))
  fi
  wait "$coordinator" 2>/dev/null || true
  [ -n "${CHAOS_VERBOSE:-}" ] && cat "$work/err" >&2
  # shellcheck disable=SC2086
  if ! all_gone $children; then
    echo "FAIL: round $round: local workers outlived the killed coordinator: $children" >&2
    exit 1
  fi
done

# One last resume runs to the end.
"$autoaug" optimize --study "$study" --resume --workers "$workers" --quiet --json >"$work/final.json" \
  2>"$work/err" || { cat "$work/err" >&2; exit 1; }

# A run in which no kill landed (every round finished first) tested nothing.
if [ "$kills" -eq 0 ]; then
  echo "FAIL: no round was killed mid-run; use more trials per round" >&2
  exit 1
fi

/usr/bin/python3 - "$work/final.json" "$study/study.db" "$trials" "$kills" <<'CHECK'
import json, sqlite3, sys
final, db, trials, kills = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), sys.argv[4]
done = [t for t in final["trials"] if t["state"] == "complete"]
values = [int(t["value"]) for t in done]
problems = []
if len(done) != trials:
    problems.append(f"{len(done)} complete trials, expected {trials}")
if sorted(values) != sorted(set(values)):
    problems.append("a trial's value appears twice")
if any(int(t["value"]) != t["number"] for t in done):
    problems.append("a trial holds another trial's value")
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
twice = con.execute("SELECT trial, COUNT(*) FROM events WHERE kind = 'completed' "
                    "GROUP BY trial HAVING COUNT(*) > 1").fetchall()
if twice:
    problems.append(f"completed twice in the event log: {twice[:5]}")
requeued = con.execute("SELECT COUNT(*) FROM events WHERE kind = 'requeued'").fetchone()[0]
if problems:
    print("FAIL: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
runs = con.execute("SELECT COUNT(*) FROM events WHERE kind = 'coordinator' "
                   "AND json_extract(detail, '$.event') = 'started'").fetchone()[0]
print(f"ok: {trials} trials complete exactly once after {kills} SIGKILLs of the coordinator "
      f"({runs} coordinator starts); {requeued} leases re-queued")
CHECK
