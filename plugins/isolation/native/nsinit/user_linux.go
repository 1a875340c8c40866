package nsinit

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// becomeProcess turns the calling thread into the spec's process, short of
// exec: working directory, limits, no fd but 0-2 left for the command,
// user and capabilities, no_new_privs, seccomp. Preserved fds
// (3 up to the control socket) stay open. Capabilities, no_new_privs
// and seccomp are per thread: the caller must have locked its OS thread and
// exec from it.
//
// Loading a filter needs no_new_privs or CAP_SYS_ADMIN. With no_new_privs
// the filter comes last; without, it must come before the capabilities are
// dropped (as runc does), so the few syscalls left (setuid, capset, execve)
// must be ones the profile allows, as docker's does.
func becomeProcess(ch *initChannel, p *specs.Process, singleIDMap bool, sec *Seccomp) error {
	seccompEarly, seccompLast := sec.Load, sec.Load
	if p.NoNewPrivileges {
		seccompEarly = func() error { return nil }
	} else {
		seccompLast = func() error { return nil }
	}
	steps := []func() error{
		func() error { return enterCwd(p.Cwd) },
		func() error { return setRlimits(ch, p) },
		func() error { return closeExtraFds(ch.fdBase) }, // the preserved fds stay
		seccompEarly,
		func() error { return setUser(ch, p, singleIDMap) },
		func() error { return setNoNewPrivs(p) },
		seccompLast,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// setUser switches to the spec's user and capabilities in the order the
// kernel needs: the bounding set while CAP_SETPCAP is still there, the ids
// under PR_SET_KEEPCAPS so that the permitted set survives a non-zero uid,
// then the other sets. Without capabilities in the spec, the process keeps
// what the user switch leaves (all of them for uid 0).
func setUser(ch *initChannel, p *specs.Process, singleIDMap bool) error {
	caps, last := p.Capabilities, LastCap()
	if caps != nil {
		if err := dropBounding(capSetOf(caps.Bounding, last), last); err != nil {
			return err
		}
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("failed to keep capabilities across setuid: %w", err)
		}
	}
	if err := setIDs(ch, p.User, singleIDMap); err != nil {
		return err
	}
	if caps != nil {
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
			return fmt.Errorf("failed to reset keepcaps: %w", err)
		}
		if err := applyCapabilities(caps, last); err != nil {
			return err
		}
	}
	if p.User.Umask != nil {
		unix.Umask(int(*p.User.Umask))
	}
	return nil
}

// setIDs sets the supplementary groups, gid and uid. With a single-id map
// setgroups is denied (or the gids are unmapped): only there is a failure
// tolerated, and the process then keeps no supplementary groups.
func setIDs(ch *initChannel, u specs.User, singleIDMap bool) error {
	gids := make([]int, 0, len(u.AdditionalGids))
	for _, g := range u.AdditionalGids {
		gids = append(gids, int(g))
	}
	if err := unix.Setgroups(gids); err != nil {
		if !singleIDMap || (!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM)) {
			return fmt.Errorf("failed to set supplementary groups %v: %w", gids, err)
		}
		ch.debugf("supplementary groups %v not set with a single-id map: %v", gids, err)
	}
	if err := threadSetID(unix.SYS_SETGID, u.GID); err != nil {
		return fmt.Errorf("failed to set gid %d: %w", u.GID, err)
	}
	if err := threadSetID(unix.SYS_SETUID, u.UID); err != nil {
		return fmt.Errorf("failed to set uid %d: %w", u.UID, err)
	}
	return nil
}

// threadSetID sets the gid or uid of this thread only, as runc's init
// does: the init execs from this (locked) thread, and the exec leaves the
// process with this thread's credentials. unix.Setuid would stop every
// thread of the Go runtime to change theirs too, a wait for each on a
// busy machine. (setgroups, like capabilities, is per thread already.)
func threadSetID(call uintptr, id uint32) error {
	if _, _, errno := unix.RawSyscall(call, uintptr(id), 0, 0); errno != 0 {
		return errno
	}
	return nil
}

func setNoNewPrivs(p *specs.Process) error {
	if !p.NoNewPrivileges {
		return nil
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("failed to set no_new_privs: %w", err)
	}
	return nil
}
