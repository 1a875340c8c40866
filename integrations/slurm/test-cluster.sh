#!/usr/bin/env bash
# Starts (or restarts) a two-node Slurm test cluster on this one machine, as
# root: slurmctld plus `slurmd -N n1` and `slurmd -N n2` on 127.0.0.1 ports
# 17001/17002, munge, no cgroups and no accounting, and the rrun SPANK plugin
# enabled in plugstack.conf. Idempotent: run it again after `make slurm` and
# it installs the new plugin and restarts the daemons.
#   usage: integrations/slurm/test-cluster.sh [PLUGIN.so]   (default: the checkout's bin/spank_rrun.so)
# The plugin is copied to /usr/local/lib/rrun/spank_rrun.so so that srun,
# which loads it as the submitting user, can read it wherever the checkout is.
# Each node keeps its own rrun store (/tmp/rrun-slurm-UID/NODE), as nodes of a
# real cluster do on their local disks.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "test-cluster.sh must run as root" >&2; exit 1; }
here=$(cd "$(dirname "$0")/../.." && pwd)
so=${1:-$here/bin/spank_rrun.so}
if [ $# -eq 0 ]; then make -s -C "$here" slurm; fi
[ -r "$so" ] || { echo "test-cluster.sh: $so missing (make slurm)" >&2; exit 1; }

conf=/etc/slurm
mkdir -p "$conf" /usr/local/lib/rrun /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
install -m 0755 "$so" /usr/local/lib/rrun/spank_rrun.so.new
mv -f /usr/local/lib/rrun/spank_rrun.so.new /usr/local/lib/rrun/spank_rrun.so
chown slurm: /var/spool/slurmctld /var/log/slurm 2>/dev/null || true

# munge: its key, and its dirs owned by munge (else "Munge encode failed").
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; }
chown munge: /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge: /run/munge /var/log/munge /var/lib/munge && chmod 0700 /var/log/munge
if ! pgrep -u munge -x munged >/dev/null; then
  su -s /bin/sh munge -c /usr/sbin/munged
fi

host=$(hostname)
cat >"$conf/slurm.conf.new" <<CONF
# Written by rrun's integrations/slurm/test-cluster.sh: two nodes on one host.
ClusterName=rrun
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=17001
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=5
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd/%n
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd-%n.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd-%n.log
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=17001 CPUs=8 State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=17002 CPUs=8 State=UNKNOWN
PartitionName=debug Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
mv -f "$conf/slurm.conf.new" "$conf/slurm.conf"
cat >"$conf/plugstack.conf" <<CONF
required /usr/local/lib/rrun/spank_rrun.so dir=/tmp/rrun-slurm-%U/%n
CONF
chmod 0644 "$conf/slurm.conf" "$conf/plugstack.conf"
grep -q "ClusterName=rrun" /var/spool/slurmctld/clustername 2>/dev/null || rm -f /var/spool/slurmctld/clustername

stop() { # pidfile
  if [ -s "$1" ]; then kill "$(cat "$1")" 2>/dev/null || true; fi
  for _ in $(seq 50); do [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}
stop /run/slurmd-n1.pid; stop /run/slurmd-n2.pid; stop /run/slurmctld.pid
mkdir -p /var/spool/slurmd/n1 /var/spool/slurmd/n2
/usr/sbin/slurmctld
/usr/sbin/slurmd -N n1
/usr/sbin/slurmd -N n2
for _ in $(seq 100); do
  [ "$(sinfo -h -o '%t' -n n1,n2 2>/dev/null | sort -u)" = idle ] && break
  scontrol update nodename=n1,n2 state=resume >/dev/null 2>&1 || true
  sleep 0.2
done
sinfo -h -o '%t' -n n1,n2 | sort -u | grep -qx idle || { sinfo >&2; echo "test-cluster.sh: nodes not idle" >&2; exit 1; }
echo "slurm test cluster up: nodes n1 n2, plugin /usr/local/lib/rrun/spank_rrun.so"
