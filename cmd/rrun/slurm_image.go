package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

// slurmImageConfig is what the plugin takes from the image's config.
type slurmImageConfig struct {
	Entrypoint []string
}

// slurmImage inspects the image, pulling it first when it is missing; one
// pull per node and image however many steps start at once.
func slurmImage(ref string) (slurmImageConfig, error) {
	if c, err := inspectImageConfig(ref); err == nil {
		return c, nil
	}
	unlock, err := slurmLock("pull-" + strings.NewReplacer("/", "_", ":", "_", "@", "_").Replace(ref))
	if err != nil {
		return slurmImageConfig{}, err
	}
	defer unlock()
	if c, err := inspectImageConfig(ref); err == nil {
		return c, nil // a concurrent step pulled it
	}
	args := []string{"pull", "-q", ref}
	if loopbackRegistry(ref) {
		args = append(args, "--tls-verify=false") // as docker: 127.0.0.0/8 is an insecure registry by default
	}
	if _, err := selfRun(args...); err != nil {
		return slurmImageConfig{}, err // rrun pull's own line names the image and the fix
	}
	return inspectImageConfig(ref)
}

func inspectImageConfig(ref string) (slurmImageConfig, error) {
	out, err := selfRun("image", "inspect", ref)
	if err != nil {
		return slurmImageConfig{}, err
	}
	var imgs []struct{ Config slurmImageConfig }
	if err := json.Unmarshal([]byte(out), &imgs); err != nil || len(imgs) == 0 {
		return slurmImageConfig{}, fmt.Errorf("failed to read rrun image inspect %s: %v", ref, err)
	}
	return imgs[0].Config, nil
}

// loopbackRegistry reports whether ref's registry is on this host
// (127.0.0.0/8, ::1 or localhost).
func loopbackRegistry(ref string) bool {
	host, _, _ := strings.Cut(ref, "/")
	if !strings.ContainsAny(host, ".:[") && host != "localhost" {
		return false // no registry part: docker.io
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
