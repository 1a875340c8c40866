//go:build linux

package native

import (
	"encoding/json"
	"net"
	"sync"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// container is what the plugin knows about one container: its init, its
// exec processes and its state file.
type container struct {
	id     string
	dir    string // <RunDir>/<id>
	cgroup string // the cgroup the container joined, "" for none
	// unshare: the namespaces its init makes once set up (a spare's: see
	// spare), sent in its Config.
	unshare uintptr
	// cinit: its init is the C one (nsinit/cinit_linux.c) and reads
	// EncodeCInit's bytes instead of Config's JSON.
	cinit bool

	// The control socket to the init, until Start. Nil for a container
	// adopted from an earlier plugin process.
	conn *net.UnixConn
	enc  *json.Encoder
	dec  *json.Decoder

	init *proc

	mu      sync.Mutex
	status  string // created or running; stopped is init.Ended()
	started time.Time
	execs   map[string]*proc // nil value: id reserved by an Exec in progress

	saveMu sync.Mutex // orders writes of the state file
}

func (c *container) state() api.ContainerState {
	c.mu.Lock()
	st := api.ContainerState{ID: c.id, Status: c.status, Pid: c.init.Pid, Started: c.started}
	c.mu.Unlock()
	if c.init.Ended() {
		exit, known := c.init.status()
		st.Status, st.ExitCode, st.Finished = api.StatusStopped, exit.Code, c.init.finishedAt()
		if !known {
			st.ExitCode = -1
		}
	}
	return st
}

// setStatus moves the container from one status to another, or says why not.
func (c *container) setStatus(from, to string) error {
	if c.init.Ended() {
		return api.Errorf(api.ErrFailedPrecondition, "", "container %s is stopped, not %s", c.id, from)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != from {
		return api.Errorf(api.ErrFailedPrecondition, "", "container %s is %s, not %s", c.id, c.status, from)
	}
	c.status = to
	if to == api.StatusRunning {
		c.started = time.Now().UTC()
	}
	return nil
}

// process returns the init (execID "") or an exec process.
func (c *container) process(execID string) (*proc, error) {
	if execID == "" {
		return c.init, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.execs[execID]; p != nil {
		return p, nil
	}
	return nil, api.Errorf(api.ErrNotFound, "", "exec %s of container %s not found", execID, c.id)
}

// reserveExec claims execID for an Exec in a running container.
func (c *container) reserveExec(execID string) error {
	if execID == "" {
		return api.Errorf(api.ErrInvalidArgument, "", "exec in container %s needs an exec id", c.id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != api.StatusRunning || c.init.Ended() {
		return api.Errorf(api.ErrFailedPrecondition, "", "container %s is not running", c.id)
	}
	if _, taken := c.execs[execID]; taken {
		return api.Errorf(api.ErrAlreadyExists, "", "exec %s of container %s already exists", execID, c.id)
	}
	c.execs[execID] = nil
	return nil
}

// publishExec makes an exec process visible, or frees its id when p is nil.
func (c *container) publishExec(execID string, p *proc) {
	c.mu.Lock()
	if p == nil {
		delete(c.execs, execID)
	} else {
		c.execs[execID] = p
	}
	c.mu.Unlock()
	if p != nil {
		c.save()
	}
}

// procs returns the init and every exec process.
func (c *container) procs() []*proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps := []*proc{c.init}
	for _, p := range c.execs {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// next reads the next message from the init, passing log lines to log.
// io.EOF means the init closed the socket: it exec'd or it died.
func next(dec *json.Decoder, log func(string)) (nsinit.Message, error) {
	for {
		var m nsinit.Message
		if err := dec.Decode(&m); err != nil {
			return nsinit.Message{}, err
		}
		if m.Type != nsinit.MsgLog {
			return m, nil
		}
		log(m.Message)
	}
}

// closeMasters closes the pty masters the plugin kept for ResizePty.
func (c *container) closeMasters() {
	for _, p := range c.procs() {
		if p.master != nil {
			p.master.Close()
		}
	}
}
