package nsinit

import (
	"encoding/json"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// spareMain runs in a spare init: it gets ready for the decoding to come,
// waits until the plugin hands it a container (its stdio and console
// channel), and goes on as any container's init.
// A spare of the C init (cinit_linux.c) that got a container it leaves
// to Go took the stdio already.
func spareMain(ch *initChannel) {
	if !spareStdioTaken() {
		primeDecoder()
		if err := takeStdio(ch.fdBase); err != nil {
			ch.fail(err)
		}
	}
	containerMain(ch)
}

// takeStdio receives the container's stdio and console channel (see
// SpareTerminal) and puts them in place of the spare's /dev/null: on 0, 1,
// 2 and base+ConsoleFd. The received fds are above those (the spare
// starts with 0 to base+ConsoleFd open), so no copy lands on another.
func takeStdio(base int) error {
	kind := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(base+SocketFd, kind, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil || n == 0 {
		os.Exit(1) // the plugin went away before it needed this spare
	}
	var fds []int
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err == nil {
		for i := range msgs {
			rights, rerr := unix.ParseUnixRights(&msgs[i])
			if rerr == nil {
				fds = append(fds, rights...)
			}
		}
	}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	targets := []int{0, 1, 2}
	if kind[0] == SpareTerminal {
		targets = append(targets, base+ConsoleFd)
	}
	if len(fds) != len(targets) {
		return fmt.Errorf("spare init: got %d fds for %d", len(fds), len(targets))
	}
	for i, fd := range fds {
		if err := unix.Dup3(fd, targets[i], 0); err != nil {
			return fmt.Errorf("spare init: failed to take fd %d: %w", targets[i], err)
		}
	}
	return nil
}

// primeDecoder decodes a Config with every part the plugin may send, so
// that encoding/json has met each type (its per-type caches) before the
// real one arrives: in a fresh process that is most of the decoding time.
func primeDecoder() {
	some := []string{"x"}
	sample := Config{
		Spec: &specs.Spec{
			Process: &specs.Process{
				User: specs.User{AdditionalGids: []uint32{1}}, Args: some, Env: some, Cwd: "/",
				Capabilities: &specs.LinuxCapabilities{Bounding: some, Effective: some, Permitted: some, Ambient: some},
				Rlimits:      []specs.POSIXRlimit{{Type: "x"}}, ConsoleSize: &specs.Box{}, NoNewPrivileges: true,
			},
			Root:     &specs.Root{Path: "x"},
			Hostname: "x",
			Mounts:   []specs.Mount{{Destination: "x", Type: "x", Source: "x", Options: some}},
			Linux: &specs.Linux{
				Namespaces: []specs.LinuxNamespace{{Type: "x"}}, Devices: []specs.LinuxDevice{{Path: "x"}},
				MaskedPaths: some, ReadonlyPaths: some, Sysctl: map[string]string{"x": "x"},
				Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "x"}}},
			},
		},
		Rootfs:  []Mount{{Type: "x", Options: some}},
		Seccomp: &Seccomp{BPF: []byte{1}, Flags: some},
	}
	data, err := json.Marshal(sample)
	if err == nil {
		var cfg Config
		_ = json.Unmarshal(data, &cfg)
	}
}

// unshare makes the namespaces a spare init left for its container.
// joinNetNS moves this thread (the one that execs the command) into the
// network namespace at path, if any.
func joinNetNS(path string) error {
	if path == "" {
		return nil
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
	}
	if err != nil {
		return fmt.Errorf("failed to join the network namespace %s: %w", path, err)
	}
	return nil
}

func unshare(flags uintptr) error {
	if flags == 0 {
		return nil
	}
	if err := unix.Unshare(int(flags)); err != nil {
		return fmt.Errorf("failed to create the container's namespaces (%#x): %w", flags, err)
	}
	return nil
}
