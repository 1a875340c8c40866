package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/isolationv1"
)

// isolationServer turns rrun.isolation.v1 RPCs into Isolation calls.
type isolationServer struct {
	isolationv1.UnimplementedIsolationServer
	impl Isolation
}

func (s *isolationServer) Create(ctx context.Context, r *isolationv1.CreateRequest) (*isolationv1.CreateResponse, error) {
	st := r.GetStdio()
	pid, err := s.impl.Create(ctx, CreateRequest{
		ID: r.GetId(), SpecJSON: r.GetSpecJson(), Rootfs: mountsFromProto(r.GetRootfs()),
		Stdio: Stdio{Stdin: st.GetStdin(), Stdout: st.GetStdout(), Stderr: st.GetStderr()},
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.CreateResponse{Pid: int32(pid)}, nil
}

func (s *isolationServer) Start(ctx context.Context, r *isolationv1.StartRequest) (*isolationv1.StartResponse, error) {
	if err := s.impl.Start(ctx, r.GetId()); err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.StartResponse{}, nil
}

func (s *isolationServer) Wait(ctx context.Context, r *isolationv1.WaitRequest) (*isolationv1.WaitResponse, error) {
	st, err := s.impl.Wait(ctx, r.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.WaitResponse{ExitCode: int32(st.Code), Signal: int32(st.Signal)}, nil
}

func (s *isolationServer) Kill(ctx context.Context, r *isolationv1.KillRequest) (*isolationv1.KillResponse, error) {
	if err := s.impl.Kill(ctx, r.GetId(), int(r.GetSignal())); err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.KillResponse{}, nil
}

func (s *isolationServer) Delete(ctx context.Context, r *isolationv1.DeleteRequest) (*isolationv1.DeleteResponse, error) {
	if err := s.impl.Delete(ctx, r.GetId()); err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.DeleteResponse{}, nil
}

func (s *isolationServer) State(ctx context.Context, r *isolationv1.StateRequest) (*isolationv1.StateResponse, error) {
	st, err := s.impl.State(ctx, r.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.StateResponse{Id: st.ID, Status: st.Status, Pid: int32(st.Pid), ExitCode: int32(st.ExitCode)}, nil
}
