package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rrun-project/rrun/plugins/api"
)

// slurmSeccompFile is where the native isolation backend keeps a running
// container's compiled seccomp filter (its run dir: isolation/NAME/ID), for
// the processes `rrun exec` starts; the Slurm tasks take it from there too.
const slurmSeccompFile = "seccomp.json"

// slurmSeccompFlags are the filter flags a compiled program may name
// (linux/seccomp.h).
var slurmSeccompFlags = map[string]uint64{
	"SECCOMP_FILTER_FLAG_TSYNC":              1,
	"SECCOMP_FILTER_FLAG_LOG":                2,
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW":         4,
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": 32,
}

// slurmConfinement prints what each task must take on, after joining the
// container's namespaces, to be confined as the container's own processes
// are: the capability sets and no_new_privs of the holder (the container's
// pid 1, which the container's init made with the spec's values for the
// user the tasks run as), as "caps INH PRM EFF BND AMB" (hex, as in
// /proc/PID/status) and "nnp 0|1", and, when the holder is under a seccomp
// filter, that filter as "seccomp FLAGS HEXBPF" (struct sock_filter[]). A
// container whose filter cannot be had fails the step: a task never runs
// with less confinement than the container.
func slurmConfinement(w io.Writer, name string, pid int) error {
	st, err := procStatus(pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "caps %s %s %s %s %s\n", st["CapInh"], st["CapPrm"], st["CapEff"], st["CapBnd"], st["CapAmb"])
	fmt.Fprintf(w, "nnp %s\n", st["NoNewPrivs"])
	switch st["Seccomp"] {
	case "0":
		return nil // --security-opt seccomp=unconfined
	case "2":
	default:
		return api.Errorf(api.ErrInternal, "", "the container %s is in seccomp mode %q", name, st["Seccomp"])
	}
	bpf, flags, err := slurmSeccomp(name)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "seccomp %d %s\n", flags, hex.EncodeToString(bpf))
	return nil
}

// procStatus reads the "Name:\tvalue" lines of /proc/PID/status that
// slurmConfinement needs; every one must be there.
func procStatus(pid int) (map[string]string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("failed to read the container's status: %w", err)
	}
	defer f.Close()
	st := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			st[k] = strings.TrimSpace(v)
		}
	}
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"} {
		if st[k] == "" {
			return nil, fmt.Errorf("failed to read %s of the container's pid 1 (pid %d)", k, pid)
		}
	}
	return st, nil
}

// slurmSeccomp returns the compiled filter of container name and its
// flags, from the isolation backend's run dir.
func slurmSeccomp(name string) ([]byte, uint64, error) {
	cfg, store, err := openStore()
	if err != nil {
		return nil, 0, err
	}
	r, err := store.Get(name)
	if err != nil {
		return nil, 0, err
	}
	path := filepath.Join(cfg.Dirs.Run, "isolation", r.Isolation, r.ID, slurmSeccompFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, api.Errorf(api.ErrNotImplemented, "run the step with --container-isolation native",
			"the isolation backend %s does not share the container's seccomp filter with Slurm tasks", r.Isolation)
	}
	var prog struct {
		BPF   []byte
		Flags []string
	}
	if err == nil {
		err = json.Unmarshal(data, &prog)
	}
	if err == nil && (len(prog.BPF) == 0 || len(prog.BPF)%8 != 0) {
		err = fmt.Errorf("%d bytes is no BPF program", len(prog.BPF))
	}
	if err != nil {
		return nil, 0, fmt.Errorf("failed to read the container's seccomp filter %s: %w", path, err)
	}
	var flags uint64
	for _, f := range prog.Flags {
		v, ok := slurmSeccompFlags[f]
		if !ok {
			return nil, 0, fmt.Errorf("failed to load the container's seccomp filter: unknown flag %s", f)
		}
		flags |= v
	}
	return prog.BPF, flags, nil
}
