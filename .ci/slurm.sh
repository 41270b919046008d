#!/usr/bin/env bash
# A real single-node SLURM cluster with accounting, for the SLURM launcher's tests.
#   .ci/slurm.sh            install (as root, Debian), start, run tests/test_slurm.py, tear down
#   .ci/slurm.sh up|down    only bring the cluster up (prints how to stop it) or down
# Runs as root without systemd: package scripts must not start services (a
# temporary policy-rc.d), so munged, mariadbd, slurmdbd, slurmctld and slurmd
# are started here, in the foreground of background shells, and only those PIDs
# are stopped at the end. Jobs are cancelled before slurmd stops (slurmstepd
# outlives it). submitit needs sacct, hence slurmdbd and MariaDB.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${SIM_SLURM_STATE:-/tmp/sim-slurm}
PIDS="$STATE/pids"
NODE=$(hostname -s)

install() {
  command -v slurmctld >/dev/null && command -v slurmdbd >/dev/null && command -v mariadbd >/dev/null && return
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge slurmdbd mariadb-server >/dev/null
  if [ -n "$created" ]; then rm -f "$policy"; fi
}

wait_for() {  # wait_for SECONDS COMMAND...: retry until the command succeeds
  local limit=$1; shift
  for _ in $(seq "$((limit * 2))"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "slurm.sh: timed out waiting for: $*" >&2; return 1
}

start() {  # start NAME COMMAND...: run a daemon in the background, remember its PID
  local name=$1; shift
  "$@" >"$STATE/$name.log" 2>&1 &
  echo "$name $!" >>"$PIDS"
}

configure() {
  local memory
  memory=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 3 / 4 ))
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /run/mysqld
  chown munge: /run/munge; chown mysql: /run/mysqld
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
  chown munge: /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=simci
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  cat >/etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
PidFile=$STATE/slurmdbd.pid
LogFile=$STATE/slurmdbd-file.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=simci
CONF
  chmod 600 /etc/slurm/slurmdbd.conf
}

up() {
  install
  if [ -s "$PIDS" ]; then down; fi
  mkdir -p "$STATE"; : >"$PIDS"
  configure
  start munged runuser -u munge -- /usr/sbin/munged -F
  wait_for 10 munge -n
  [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql >/dev/null
  start mariadbd /usr/sbin/mariadbd --user=mysql --skip-networking=0 --bind-address=127.0.0.1
  wait_for 30 mariadb -e "select 1"
  mariadb -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'simci';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  start slurmdbd /usr/sbin/slurmdbd -D
  wait_for 30 sacctmgr -n list cluster
  start slurmctld /usr/sbin/slurmctld -D -c   # -c: forget jobs of a killed earlier run
  wait_for 30 scontrol ping
  start slurmd /usr/sbin/slurmd -D -N "$NODE"
  wait_for 60 bash -c "sinfo -h -N -o %t | grep -q idle"
  echo "== SLURM up: $(sinfo -h -o '%P %D %t %c CPUs') (stop with: $0 down)"
}

down() {
  [ -s "$PIDS" ] || return 0
  scancel --full --quiet --user "$(id -un)" 2>/dev/null || true
  wait_for 30 bash -c '[ -z "$(squeue -h 2>/dev/null)" ]' || true
  tac "$PIDS" | while read -r name pid; do
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  : >"$PIDS"
  echo "== SLURM down"
}

case "${1:-all}" in
  up) up ;;
  down) down ;;
  all)
    started=$SECONDS
    trap down EXIT
    up
    echo "== SLURM cluster up in $((SECONDS - started)) s; running tests/test_slurm.py"
    SIM_SLURM=1 timeout 900 uv run --extra dev pytest -q -m slurm tests/test_slurm.py
    echo "== SLURM step done in $((SECONDS - started)) s"
    ;;
  *) echo "usage: $0 [up|down|all]" >&2; exit 2 ;;
esac
