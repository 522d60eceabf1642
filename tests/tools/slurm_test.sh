#!/usr/bin/env bash
# The Slurm job scripts of tools/slurm on a real Slurm: a single-node cluster on loopback (munged,
# slurmctld and slurmd with a slurm.conf written here; proctrack/linuxproc, no cgroups) runs
# coordinator.sbatch serving an `optimize --study` with a command objective, and a 3-task
# workers.sbatch array behind it. One array task is cancelled (scancel) while it holds a lease.
# Checks: every trial complete exactly once, the cancelled task's trial re-queued and finished by
# another worker, the coordinator and the other array tasks COMPLETED. Stops every daemon it
# started, by pid.
#
#   tests/tools/slurm_test.sh AUTOAUG
#
# Exits 77 (skipped) when not run as root or when Slurm and munge are not installed
# (tools/test.sh installs them).
set -euo pipefail
autoaug="$(realpath "${1:?usage: slurm_test.sh AUTOAUG}")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
trials=12
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: slurmd runs jobs as their users only when started as root"
  exit 77
fi
for tool in munged slurmctld slurmd sbatch scontrol scancel sinfo sqlite3; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done

work="$(mktemp -d /tmp/autoaug-slurm.XXXXXX)"
chmod 755 "$work"
daemons=()
submitted=()
cleanup() {
  scancel --quiet --full "${submitted[@]}" 2>/dev/null || true
  local i
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do kill "${daemons[i]}" 2>/dev/null || true; done
  for pid in "${daemons[@]}"; do
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/log/*.log "$work"/*.out; do
    [ -e "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }
  done
  exit 1
}
# Polls CONDITION (a command) every 0.1 s for up to SECONDS; fails naming WHAT after that.
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  for _ in $(seq $((seconds * 10))); do
    "$@" && return 0
    sleep 0.1
  done
  fail "waited ${seconds} s for $what"
}
# Records the pid a daemon wrote to PIDFILE, for cleanup.
started() {
  wait_for 10 "$1" test -s "$1"
  daemons+=("$(cat "$1")")
}

read -r ctld_port slurmd_port study_port < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/log"
head -c 1024 /dev/urandom >"$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.sock" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" \
  --seed-file="$work/munge/seed"
started "$work/munge/munged.pid"

export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=autoaugtest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=autoaug-node NodeAddr=127.0.0.1 CPUs=4 RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes=autoaug-node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
slurmctld -f "$SLURM_CONF"
started "$work/slurmctld.pid"
slurmd -f "$SLURM_CONF" -N autoaug-node
started "$work/slurmd.pid"
node_idle() { [ "$(sinfo -h -n autoaug-node -o %t 2>/dev/null)" = idle ]; }
wait_for 30 "the node to be idle" node_idle

# The study: a command objective that takes 3 s (time to cancel a worker in mid-trial) and
# answers its own trial number.
cat >"$work/space.json" <<'SPACE'
{"dimensions": [{"name": "x", "type": "real", "low": -5, "high": 10}]}
SPACE
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
chmod 600 "$work/token"
export AUTOAUG_BIN="$autoaug" AUTOAUG_TOKEN_FILE="$work/token" AUTOAUG_PORT="$study_port"
export AUTOAUG_HOST=127.0.0.1 AUTOAUG_LISTEN_HOST=127.0.0.1 AUTOAUG_ADDRESS_FILE="$work/address"
export AUTOAUG_GIVE_UP_AFTER=60 AUTOAUG_WORKER_ARGS="--allow-command --quiet"
study="$work/study"
coordinator=$(sbatch --parsable --chdir="$work" --output="$work/coordinator.out" \
  --cpus-per-task=1 "$root/tools/slurm/coordinator.sbatch" optimize --study "$study" \
  --space "$work/space.json" --objective-cmd 'cat >/dev/null; sleep 3; echo $AUTOAUG_TRIAL' \
  --trials "$trials" --strategy random --workers 0 --heartbeat-seconds 0.5 --quiet)
submitted+=("$coordinator")
array=$(sbatch --parsable --chdir="$work" --output="$work/worker-%a.out" --array=0-2 \
  --cpus-per-task=1 --dependency="after:$coordinator" "$root/tools/slurm/workers.sbatch")
submitted+=("$array")

# Cancel task 2 while it holds a lease.
leased_by_task2() {
  [ -e "$study/study.db" ] || return 1
  cancelled_trial=$(sqlite3 "file:$study/study.db?mode=ro" \
    "SELECT number FROM trials WHERE state = 1 AND worker = 'slurm-$array-2'" 2>/dev/null)
  [ -n "$cancelled_trial" ]
}
wait_for 60 "array task 2 to lease a trial" leased_by_task2
scancel "${array}_2"

job_state() { scontrol show job -o "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
ended() { case "$(job_state "$1")" in COMPLETED | FAILED | CANCELLED | TIMEOUT) return 0 ;; esac; return 1; }
all_ended() { ended "$coordinator" && ended "${array}_0" && ended "${array}_1" && ended "${array}_2"; }
wait_for 120 "the study and its workers to end" all_ended

for job in "$coordinator" "${array}_0" "${array}_1"; do
  [ "$(job_state "$job")" = COMPLETED ] || fail "job $job ended $(job_state "$job")"
done
[ "$(job_state "${array}_2")" = CANCELLED ] || fail "task 2 ended $(job_state "${array}_2")"

/usr/bin/python3 - "$study/study.db" "$trials" "$cancelled_trial" "slurm-$array-2" <<'CHECK'
import sqlite3, sys
db, trials, trial, cancelled = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
rows = con.execute("SELECT number, value, worker FROM trials WHERE state = 2").fetchall()
problems = []
if len(rows) != trials:
    problems.append(f"{len(rows)} complete trials, expected {trials}")
if any(int(value) != number for number, value, _ in rows):
    problems.append("a trial holds another trial's value")
twice = con.execute("SELECT trial FROM events WHERE kind = 'completed' "
                    "GROUP BY trial HAVING COUNT(*) > 1").fetchall()
if twice:
    problems.append(f"completed twice: {twice}")
requeued = con.execute("SELECT COUNT(*) FROM events WHERE kind = 'requeued' AND trial = ? "
                       "AND json_extract(detail, '$.worker') = ?", (trial, cancelled)).fetchone()[0]
if requeued != 1:
    events = con.execute("SELECT kind, detail FROM events WHERE trial = ?", (trial,)).fetchall()
    problems.append(f"trial {trial}: {requeued} re-queue events by {cancelled}, expected 1 "
                    f"(its events: {events})")
finisher = [w for n, _, w in rows if n == trial]
if finisher == [cancelled]:
    problems.append(f"trial {trial} was finished by the cancelled task")
workers = sorted({w for _, _, w in rows})
if problems:
    print("FAIL: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"ok: {trials} trials complete exactly once by {', '.join(workers)}; trial {trial}, "
      f"leased by the cancelled {cancelled}, re-queued and finished by {finisher[0]}")
CHECK
