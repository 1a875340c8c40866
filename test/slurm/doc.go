// Package slurm tests rrun's Slurm integration (integrations/slurm,
// docs/slurm.md) end to end on the two-node test cluster that
// integrations/slurm/test-cluster.sh starts on 127.0.0.1: srun, sbatch and
// scancel as the unprivileged test user, tasks inside rrun containers.
package slurm
