package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/isolationv1"
	"github.com/rrun-project/rrun/plugins/api/gen/pluginv1"
)

// isolationClient turns Isolation calls into rrun.isolation.v1 RPCs.
type isolationClient struct {
	pluginClient
	c isolationv1.IsolationClient
}

// NewIsolationClient wraps a gRPC client of an isolation plugin.
func NewIsolationClient(p pluginv1.PluginClient, c isolationv1.IsolationClient) Isolation {
	return &isolationClient{pluginClient{p}, c}
}

func (c *isolationClient) Create(ctx context.Context, req CreateRequest) (int, error) {
	r, err := c.c.Create(ctx, &isolationv1.CreateRequest{
		Id: req.ID, SpecJson: req.SpecJSON, Rootfs: mountsToProto(req.Rootfs), Stdio: stdioToProto(req.Stdio),
	})
	if err != nil {
		return 0, fromStatus(err)
	}
	return int(r.GetPid()), nil
}

func (c *isolationClient) Start(ctx context.Context, id string) error {
	_, err := c.c.Start(ctx, &isolationv1.StartRequest{Id: id})
	return fromStatus(err)
}

func (c *isolationClient) Wait(ctx context.Context, id, execID string) (ExitStatus, error) {
	r, err := c.c.Wait(ctx, &isolationv1.WaitRequest{Id: id, ExecId: execID})
	if err != nil {
		return ExitStatus{}, fromStatus(err)
	}
	return ExitStatus{Code: int(r.GetExitCode()), Signal: int(r.GetSignal())}, nil
}

func (c *isolationClient) Kill(ctx context.Context, id, execID string, signal int) error {
	_, err := c.c.Kill(ctx, &isolationv1.KillRequest{Id: id, ExecId: execID, Signal: int32(signal)})
	return fromStatus(err)
}

func (c *isolationClient) Delete(ctx context.Context, id string) error {
	_, err := c.c.Delete(ctx, &isolationv1.DeleteRequest{Id: id})
	return fromStatus(err)
}

func (c *isolationClient) State(ctx context.Context, id string) (ContainerState, error) {
	r, err := c.c.State(ctx, &isolationv1.StateRequest{Id: id})
	if err != nil {
		return ContainerState{}, fromStatus(err)
	}
	return ContainerState{ID: r.GetId(), Status: r.GetStatus(), Pid: int(r.GetPid()), ExitCode: int(r.GetExitCode()),
		Started: timeFromNano(r.GetStartedUnixNano()), Finished: timeFromNano(r.GetFinishedUnixNano())}, nil
}

func (c *isolationClient) Exec(ctx context.Context, req ExecRequest) (int, error) {
	r, err := c.c.Exec(ctx, &isolationv1.ExecRequest{Id: req.ID, ExecId: req.ExecID, ProcessJson: req.ProcessJSON, Stdio: stdioToProto(req.Stdio)})
	if err != nil {
		return 0, fromStatus(err)
	}
	return int(r.GetPid()), nil
}

func (c *isolationClient) ResizePty(ctx context.Context, id, execID string, width, height uint) error {
	_, err := c.c.ResizePty(ctx, &isolationv1.ResizePtyRequest{Id: id, ExecId: execID, Width: uint32(width), Height: uint32(height)})
	return fromStatus(err)
}
