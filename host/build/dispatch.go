package build

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// dispatch runs one instruction of stage s; title numbers it.
func (bl *builder) dispatch(ctx context.Context, s *stage, cmd instructions.Command, title string) error {
	if err := bl.expand(s, cmd); err != nil {
		return err
	}
	switch c := cmd.(type) {
	case *instructions.RunCommand:
		return bl.runStep(ctx, s, c, title)
	case *instructions.CopyCommand:
		return bl.copyStep(ctx, s, copyFromCopy(c), title)
	case *instructions.AddCommand:
		return bl.copyStep(ctx, s, copyFromAdd(c), title)
	case *instructions.WorkdirCommand:
		return bl.workdirStep(ctx, s, c, title)
	case *instructions.ArgCommand:
		bl.argStep(s, c)
		return nil
	}
	st := bl.out.begin(title)
	createdBy, err := applyMetadata(s, cmd)
	if err != nil {
		st.fail(err)
		return err
	}
	s.addMetadata(createdBy)
	st.done()
	return nil
}

// expand applies the Dockerfile's variable expansion to cmd's words.
func (bl *builder) expand(s *stage, cmd instructions.Command) error {
	ex, ok := cmd.(instructions.SupportsSingleWordExpansion)
	if !ok {
		return nil
	}
	lex, env := bl.d.lexer(), s.env()
	return ex.Expand(func(word string) (string, error) {
		out, _, err := lex.ProcessWord(word, env)
		return out, err
	})
}

// argStep declares a stage's ARGs: they take --build-arg, their default or
// the global value, and are no history entry (as BuildKit).
func (bl *builder) argStep(s *stage, c *instructions.ArgCommand) {
	for _, kv := range c.Args {
		if v, ok := bl.args.value(kv, bl.global); ok {
			s.args.set(kv.Key, v)
		} else {
			s.args.set(kv.Key, "")
		}
	}
}

// applyMetadata changes s's config for an instruction that makes no layer
// and returns its history entry.
func applyMetadata(s *stage, cmd instructions.Command) (string, error) {
	cfg := &s.img.Config
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		var kvs []string
		for _, kv := range c.Env {
			s.setEnv(kv.Key, kv.Value)
			kvs = append(kvs, kv.Key+"="+kv.Value)
		}
		return "ENV " + strings.Join(kvs, " "), nil
	case *instructions.LabelCommand:
		var kvs []string
		for _, kv := range c.Labels {
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			cfg.Labels[kv.Key] = kv.Value
			kvs = append(kvs, kv.Key+"="+kv.Value)
		}
		return "LABEL " + strings.Join(kvs, " "), nil
	case *instructions.MaintainerCommand:
		s.img.Author = c.Maintainer
		return "MAINTAINER " + c.Maintainer, nil
	case *instructions.UserCommand:
		cfg.User = c.User
		return "USER " + c.User, nil
	case *instructions.ExposeCommand:
		return applyExpose(s, c)
	case *instructions.VolumeCommand:
		return applyVolume(s, c)
	}
	return applyProcessMetadata(s, cmd)
}

// applyProcessMetadata handles the instructions about the process an
// image runs: ENTRYPOINT, CMD, STOPSIGNAL, SHELL, HEALTHCHECK, ONBUILD.
func applyProcessMetadata(s *stage, cmd instructions.Command) (string, error) {
	cfg := &s.img.Config
	switch c := cmd.(type) {
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = s.commandLine(c.ShellDependantCmdLine)
		if !s.cmdSet {
			cfg.Cmd = nil
		}
		return fmt.Sprintf("ENTRYPOINT %q", cfg.Entrypoint), nil
	case *instructions.CmdCommand:
		cfg.Cmd = s.commandLine(c.ShellDependantCmdLine)
		s.cmdSet = true
		return fmt.Sprintf("CMD %q", cfg.Cmd), nil
	case *instructions.StopSignalCommand:
		if _, err := container.ParseSignal(c.Signal); err != nil {
			return "", api.Errorf(api.ErrInvalidArgument, "", "STOPSIGNAL: invalid signal %q", c.Signal)
		}
		cfg.StopSignal = c.Signal
		return "STOPSIGNAL " + c.Signal, nil
	case *instructions.ShellCommand:
		cfg.Shell = c.Shell
		return fmt.Sprintf("SHELL %v", c.Shell), nil
	case *instructions.HealthCheckCommand:
		cfg.Healthcheck = c.Health
		return fmt.Sprintf("HEALTHCHECK &{%q %q %q %q %d}", c.Health.Test, c.Health.Interval, c.Health.Timeout, c.Health.StartPeriod, c.Health.Retries), nil
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
		return "ONBUILD " + c.Expression, nil
	}
	return "", api.Errorf(api.ErrNotImplemented, "", "instruction %s is not supported", cmd.Name())
}

// shell is the stage's SHELL, or docker's default.
func (s *stage) shell() []string {
	if len(s.img.Config.Shell) > 0 {
		return s.img.Config.Shell
	}
	return []string{"/bin/sh", "-c"}
}

// commandLine is a shell-form line run by the stage's shell, or an exec form.
func (s *stage) commandLine(c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return append(append([]string{}, s.shell()...), strings.Join(c.CmdLine, " "))
	}
	return append([]string{}, c.CmdLine...)
}

func applyExpose(s *stage, c *instructions.ExposeCommand) (string, error) {
	cfg := &s.img.Config
	var ports []string
	for _, p := range c.Ports {
		port, proto, _ := strings.Cut(p, "/")
		if proto == "" {
			proto = "tcp"
		}
		if port == "" || strings.Trim(port, "0123456789-") != "" {
			return "", api.Errorf(api.ErrInvalidArgument, "", "EXPOSE: invalid port %q", p)
		}
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		cfg.ExposedPorts[port+"/"+strings.ToLower(proto)] = struct{}{}
		ports = append(ports, port+"/"+strings.ToLower(proto))
	}
	return fmt.Sprintf("EXPOSE map[%s]", strings.Join(ports, ":{} ")+":{}"), nil
}

func applyVolume(s *stage, c *instructions.VolumeCommand) (string, error) {
	cfg := &s.img.Config
	for _, v := range c.Volumes {
		if strings.TrimSpace(v) == "" {
			return "", api.Errorf(api.ErrInvalidArgument, "", "VOLUME specified can not be an empty string")
		}
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		cfg.Volumes[v] = struct{}{}
	}
	return fmt.Sprintf("VOLUME %v", c.Volumes), nil
}

// workdirOf resolves a WORKDIR or COPY destination against the stage's
// working directory.
func (s *stage) workdirOf(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	wd := s.img.Config.WorkingDir
	if wd == "" {
		wd = "/"
	}
	return path.Join(wd, p)
}
