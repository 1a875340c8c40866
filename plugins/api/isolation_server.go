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
	pid, err := s.impl.Create(ctx, CreateRequest{
		ID: r.GetId(), SpecJSON: r.GetSpecJson(), Rootfs: mountsFromProto(r.GetRootfs()), Stdio: stdioFromProto(r.GetStdio()),
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
	st, err := s.impl.Wait(ctx, r.GetId(), r.GetExecId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.WaitResponse{ExitCode: int32(st.Code), Signal: int32(st.Signal)}, nil
}

func (s *isolationServer) Kill(ctx context.Context, r *isolationv1.KillRequest) (*isolationv1.KillResponse, error) {
	if err := s.impl.Kill(ctx, r.GetId(), r.GetExecId(), int(r.GetSignal())); err != nil {
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
	return &isolationv1.StateResponse{Id: st.ID, Status: st.Status, Pid: int32(st.Pid), ExitCode: int32(st.ExitCode),
		StartedUnixNano: nanoFromTime(st.Started), FinishedUnixNano: nanoFromTime(st.Finished)}, nil
}

func (s *isolationServer) Exec(ctx context.Context, r *isolationv1.ExecRequest) (*isolationv1.ExecResponse, error) {
	pid, err := s.impl.Exec(ctx, ExecRequest{ID: r.GetId(), ExecID: r.GetExecId(), ProcessJSON: r.GetProcessJson(), Stdio: stdioFromProto(r.GetStdio())})
	if err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.ExecResponse{Pid: int32(pid)}, nil
}

func (s *isolationServer) ResizePty(ctx context.Context, r *isolationv1.ResizePtyRequest) (*isolationv1.ResizePtyResponse, error) {
	if err := s.impl.ResizePty(ctx, r.GetId(), r.GetExecId(), uint(r.GetWidth()), uint(r.GetHeight())); err != nil {
		return nil, toStatus(err)
	}
	return &isolationv1.ResizePtyResponse{}, nil
}
