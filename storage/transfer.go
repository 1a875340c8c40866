package storage

import (
	"errors"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"

	"github.com/rrun-project/rrun/plugins/api"
)

// acceptAnything is the signature policy of rrun: like docker, no check.
func acceptAnything() (*signature.PolicyContext, error) {
	return signature.NewPolicyContext(&signature.Policy{
		Default: signature.PolicyRequirements{signature.NewPRInsecureAcceptAnything()},
	})
}

// transferContext is the store's system context with the options of one
// registry transfer.
func (s *Store) transferContext(o api.TransferOptions) (*types.SystemContext, error) {
	sys, err := s.systemContext()
	if err != nil {
		return nil, err
	}
	if o.InsecureSkipTLSVerify {
		sys.DockerInsecureSkipTLSVerify = types.OptionalBoolTrue
	}
	sys.AuthFilePath = o.AuthFile
	if o.Platform != "" {
		parts := strings.Split(o.Platform, "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, api.Errorf(api.ErrInvalidArgument, "use OS/ARCH[/VARIANT], e.g. linux/arm64",
				"invalid platform %q", o.Platform)
		}
		sys.OSChoice, sys.ArchitectureChoice = parts[0], parts[1]
		if len(parts) == 3 {
			sys.VariantChoice = parts[2]
		}
	}
	return sys, nil
}

// relayProgress makes c/image report blob progress to fn and returns the
// function that stops relaying once the copy is over.
func relayProgress(opts *copy.Options, status string, fn func(api.LayerProgress)) func() {
	if fn == nil {
		return func() {}
	}
	ch := make(chan types.ProgressProperties, 16)
	opts.Progress, opts.ProgressInterval = ch, 200*time.Millisecond
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := range ch {
			fn(layerProgress(p, status))
		}
	}()
	return func() { close(ch); wg.Wait() }
}

func layerProgress(p types.ProgressProperties, status string) api.LayerProgress {
	lp := api.LayerProgress{ID: p.Artifact.Digest.String(), Done: int64(p.Offset), Total: p.Artifact.Size, Status: status}
	switch p.Event {
	case types.ProgressEventDone:
		lp.Status = api.LayerDone
		if lp.Total > 0 {
			lp.Done = lp.Total
		}
	case types.ProgressEventSkipped:
		lp.Status, lp.Done = api.LayerExists, lp.Total
	}
	return lp
}

// registryError classifies a failed pull or push into one line with a
// hint: the network's fault, the credentials', a missing image, a blob
// that does not match its digest, or the machine's (as loadError).
func registryError(verb, ref string, err error) error {
	msg := oneLine(err)
	low := strings.ToLower(msg)
	var unauthorized docker.ErrUnauthorizedForCredentials
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT),
		errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES):
		return storeError(verb, ref, err)
	case errors.As(err, &unauthorized), strings.Contains(low, "unauthorized"), strings.Contains(low, "denied"):
		return api.Errorf(api.ErrPermissionDenied, "log in: rrun login REGISTRY (or credentials in ~/.docker/config.json or $XDG_RUNTIME_DIR/containers/auth.json)",
			"failed to %s %s: access denied: %s", verb, ref, msg)
	case strings.Contains(low, "http response to https client"):
		return api.Errorf(api.ErrUnavailable, "add --tls-verify=false for a plain-http registry",
			"failed to %s %s: the registry speaks plain http", verb, ref)
	case strings.Contains(low, "x509:") || strings.Contains(low, "certificate"):
		return api.Errorf(api.ErrUnavailable, "add --tls-verify=false to trust it anyway",
			"failed to %s %s: the registry's certificate is not trusted: %s", verb, ref, msg)
	case strings.Contains(low, "manifest unknown") || strings.Contains(low, "name unknown") ||
		strings.Contains(low, "not found") || strings.Contains(low, "no image found"):
		return api.Errorf(api.ErrNotFound, "check the name, the tag and --platform",
			"failed to %s %s: no such image in the registry", verb, ref)
	case strings.Contains(low, "digest did not match") || strings.Contains(low, "does not match expected digest") ||
		strings.Contains(low, "digest mismatch"):
		return api.Errorf(api.ErrInvalidArgument, "the registry sent corrupt data; try again or report it to the registry",
			"failed to %s %s: content does not match its digest", verb, ref)
	case isNetworkError(err, low):
		// one short line: c/image's chain (pinging, Get "https://...", dial tcp) says nothing more to a user
		return api.Errorf(api.ErrUnavailable, "check the registry address and your network",
			"failed to %s %s: registry %s is unreachable (%s)", verb, ref, registryOf(ref), networkReason(err, low))
	}
	return api.Errorf(api.ErrInvalidArgument, "", "failed to %s %s: %s", verb, ref, msg)
}

// registryOf is the registry part of a normalized reference.
func registryOf(ref string) string {
	ref = strings.TrimPrefix(ref, "docker://")
	if host, _, ok := strings.Cut(ref, "/"); ok {
		return host
	}
	return "the registry"
}

// networkReason is the few words that say why a registry cannot be reached.
func networkReason(err error, low string) string {
	switch {
	case strings.Contains(low, "no such host"), strings.Contains(low, "server misbehaving"):
		return "name lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED), strings.Contains(low, "connection refused"):
		return "connection refused"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), strings.Contains(low, "unreachable"):
		return "network unreachable"
	case errors.Is(err, syscall.ECONNRESET), strings.Contains(low, "connection reset"):
		return "connection reset"
	case strings.Contains(low, "timeout"):
		return "timed out"
	}
	return "network error"
}

func isNetworkError(err error, low string) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(low, "no such host") || strings.Contains(low, "connection refused") ||
		strings.Contains(low, "i/o timeout") || strings.Contains(low, "dial tcp") ||
		strings.Contains(low, "pinging container registry")
}
