package pluginmgr

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/plugins/api/gen/pluginv1"
)

// A call that fails because the plugin process died is reported as such:
// which plugin, how it ended, and the last lines it wrote to stderr.

func (inst *Instance) unaryCrashInterceptor(ctx context.Context, method string, req, reply any,
	cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return inst.explainCrash(method, invoker(ctx, method, req, reply, cc, opts...))
}

func (inst *Instance) streamCrashInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn,
	method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, inst.explainCrash(method, err)
	}
	return &crashAwareStream{ClientStream: s, inst: inst, method: method}, nil
}

type crashAwareStream struct {
	grpc.ClientStream
	inst   *Instance
	method string
}

func (s *crashAwareStream) RecvMsg(m any) error {
	return s.inst.explainCrash(s.method, s.ClientStream.RecvMsg(m))
}

func (inst *Instance) explainCrash(method string, err error) error {
	if err == nil || (status.Code(err) != codes.Unavailable && status.Code(err) != codes.Canceled) {
		return err
	}
	if inst.proc == nil {
		return inst.explainWarmCrash(method, err)
	}
	// Never inst.client.Exited(): go-plugin's Client() holds the lock it
	// takes while its first stream fails through this interceptor.
	if !inst.proc.waitExited(time.Second) {
		return err
	}
	msg := fmt.Sprintf("%s plugin %s (pid %d) died during %s: %s%s",
		inst.Kind, inst.Name, inst.proc.pid(), shortMethod(method), inst.proc.how(), inst.stderr.suffix())
	st := status.New(codes.Unavailable, msg)
	if d, derr := st.WithDetails(&pluginv1.ErrorDetail{Reason: "unavailable",
		Hint: "run the command again; add --log-level=debug to see the plugin's log"}); derr == nil {
		st = d
	}
	return st.Err()
}

func shortMethod(m string) string {
	for i := len(m) - 1; i >= 0; i-- {
		if m[i] == '/' {
			return m[i+1:]
		}
	}
	return m
}

// explainWarmCrash names a warm plugin that died during a call; it is no
// child of this command, so its end is seen in /proc and its log is a file.
func (inst *Instance) explainWarmCrash(method string, err error) error {
	for i := 0; i < 20 && proc.Start(inst.warmPID) != 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if proc.Start(inst.warmPID) != 0 {
		return err
	}
	msg := fmt.Sprintf("%s plugin %s (pid %d) died during %s", inst.Kind, inst.Name, inst.warmPID, shortMethod(method))
	return status.New(codes.Unavailable, msg).Err()
}
