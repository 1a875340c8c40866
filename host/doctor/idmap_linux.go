package doctor

import (
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
)

// tryIDMap starts a shell in a new user namespace that waits on its stdin,
// maps the ranges into it with newuidmap and newgidmap (uid 0 = the user,
// 1..N = the ranges, as rootlesskit does) and lets it go.
func tryIDMap(newuidmap, newgidmap string, uids, gids []IDRange) error {
	cmd := exec.Command("/bin/sh", "-c", "read x")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start a process in a new user namespace: %w", err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	pid := strconv.Itoa(cmd.Process.Pid)
	if err := runQuiet(exec.Command(newuidmap, mapArgs(pid, syscall.Getuid(), uids)...)); err != nil {
		return fmt.Errorf("%s: %w", newuidmap, err)
	}
	if err := runQuiet(exec.Command(newgidmap, mapArgs(pid, syscall.Getgid(), gids)...)); err != nil {
		return fmt.Errorf("%s: %w", newgidmap, err)
	}
	return nil
}

func mapArgs(pid string, id int, ranges []IDRange) []string {
	args := []string{pid, "0", strconv.Itoa(id), "1"}
	next := 1
	for _, r := range ranges {
		args = append(args, strconv.Itoa(next), strconv.Itoa(r.Start), strconv.Itoa(r.Count))
		next += r.Count
	}
	return args
}
