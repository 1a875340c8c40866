package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/rrun-project/rrun/plugins/api"
)

// PullBrokerEnv names the unix socket on which the process that started a
// session with a private network (pasta, slirp4netns) pulls images for it.
// That process is still in the host's network namespace; the session is
// not, so a registry on the host's 127.0.0.1 (or one only the host's
// resolver or proxy knows) is out of the session's reach. A path socket
// works across network namespaces.
const PullBrokerEnv = "_RRUN_PULL_BROKER"

// PullRequest is one pull asked of the broker, versioned as everything
// that crosses a process boundary.
type PullRequest struct {
	Version int
	Ref     string
	Options api.TransferOptions
}

// pullReply is the broker's answer: empty Error means pulled; Hint is the
// failed pull's fix, printed once after Error (a field added in version 1:
// an older broker sends none).
type pullReply struct {
	Error string `json:",omitempty"`
	Hint  string `json:",omitempty"`
}

const pullBrokerVersion = 1

// pullOutside asks the broker at path to pull, and waits for it.
func pullOutside(ctx context.Context, path string, req PullRequest) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return fmt.Errorf("failed to pull %s outside the container's network: %w", req.Ref, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	req.Version = pullBrokerVersion
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return fmt.Errorf("failed to pull %s outside the container's network: %w", req.Ref, err)
	}
	var rep pullReply
	if err := json.NewDecoder(conn).Decode(&rep); err != nil {
		return fmt.Errorf("failed to pull %s outside the container's network: %w", req.Ref, err)
	}
	if rep.Error != "" {
		return api.Errorf(api.ErrUnavailable, rep.Hint, "%s", rep.Error) // the pull's own message names the image
	}
	return nil
}

// PullBroker serves PullRequests on a unix socket until Close.
type PullBroker struct {
	Path string
	ln   net.Listener
}

// ServePulls listens on path and runs pull for each request, one at a
// time, answering with its error. The caller sets PullBrokerEnv to path
// for the session and closes the broker when the session has ended.
func ServePulls(path string, pull func(PullRequest) error) (*PullBroker, error) {
	_ = os.Remove(path) // a socket left by a killed rrun with the same name
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("failed to listen for pulls on %s: %w", path, err)
	}
	b := &PullBroker{Path: path, ln: ln}
	go b.serve(pull)
	return b, nil
}

func (b *PullBroker) serve(pull func(PullRequest) error) {
	for {
		conn, err := b.ln.Accept()
		if err != nil {
			return // closed
		}
		answer(conn, pull)
	}
}

func answer(conn net.Conn, pull func(PullRequest) error) {
	defer conn.Close()
	var req PullRequest
	var rep pullReply
	switch err := json.NewDecoder(conn).Decode(&req); {
	case err != nil:
		rep.Error = fmt.Sprintf("unreadable pull request: %v", err)
	case req.Version != pullBrokerVersion:
		rep.Error = fmt.Sprintf("pull request version %d, this rrun speaks %d", req.Version, pullBrokerVersion)
	default:
		if err := pull(req); err != nil {
			rep.Error, rep.Hint = err.Error(), api.HintOf(err)
		}
	}
	_ = json.NewEncoder(conn).Encode(rep) // a session that went away needs no answer
}

// Close stops serving and removes the socket.
func (b *PullBroker) Close() error {
	err := b.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
