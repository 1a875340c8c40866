package build

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/rrun-project/rrun/plugins/api"
)

// defaultPath is the PATH BuildKit gives an image that has none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// historyComment marks the history entries of a Dockerfile build, as
// BuildKit does.
const historyComment = "buildkit.dockerfile.v0"

// stage is one stage's image as its steps build it.
type stage struct {
	index  int
	name   string // AS NAME, or "stage-N"
	img    dockerspec.DockerOCIImage
	top    string // the top layer; "" for none
	args   *vars  // the stage's ARGs with values
	cmdSet bool   // CMD was given in this stage (ENTRYPOINT then keeps it)
	// created is the time of the last history entry: metadata steps take
	// it, so that a fully cached build makes the same image ID.
	created time.Time
}

// newScratch is the empty stage FROM scratch starts.
func newScratch() dockerspec.DockerOCIImage {
	var img dockerspec.DockerOCIImage
	img.Platform = ocispec.Platform{OS: "linux", Architecture: platformArgs()["TARGETARCH"]}
	img.RootFS.Type = "layers"
	return img
}

// decodeConfig reads an image config as docker's superset of OCI's.
func decodeConfig(raw []byte) (dockerspec.DockerOCIImage, error) {
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(raw, &img); err != nil {
		return img, fmt.Errorf("failed to read an image config: %w", err)
	}
	img.RootFS.Type = "layers"
	return img, nil
}

// clone copies s deeply enough for another stage to change it.
func (s *stage) clone() *stage {
	raw, _ := json.Marshal(s.img) // a config that was decoded encodes
	c := *s
	c.img, _ = decodeConfig(raw)
	c.args = newVars()
	c.cmdSet = false
	return &c
}

// ensurePath adds BuildKit's default PATH when the config has none.
func (s *stage) ensurePath() {
	for _, kv := range s.img.Config.Env {
		if strings.HasPrefix(kv, "PATH=") {
			return
		}
	}
	s.img.Config.Env = append(s.img.Config.Env, defaultPath)
}

// env is the lexer's environment: the stage's ARGs, overridden by ENV.
func (s *stage) env() *vars { return s.args.clone().fromEnv(s.img.Config.Env) }

// setEnv sets KEY=VALUE in the config, replacing an earlier value.
func (s *stage) setEnv(k, v string) {
	for i, kv := range s.img.Config.Env {
		if name, _, _ := strings.Cut(kv, "="); name == k {
			s.img.Config.Env[i] = k + "=" + v
			return
		}
	}
	s.img.Config.Env = append(s.img.Config.Env, k+"="+v)
}

// addMetadata records a step that changed only the config.
func (s *stage) addMetadata(createdBy string) {
	t := s.createdTime()
	s.img.History = append(s.img.History, ocispec.History{Created: &t, CreatedBy: createdBy, Comment: historyComment, EmptyLayer: true})
}

// addLayer records a step that committed l (or changed nothing: Empty).
func (s *stage) addLayer(createdBy string, l api.Layer) {
	if l.Empty {
		s.addMetadata(createdBy)
		return
	}
	if !l.Created.IsZero() {
		s.created = l.Created.UTC()
	}
	t := s.createdTime()
	s.top = l.ID
	s.img.RootFS.DiffIDs = append(s.img.RootFS.DiffIDs, digestOf(l))
	s.img.History = append(s.img.History, ocispec.History{Created: &t, CreatedBy: createdBy, Comment: historyComment})
}

func (s *stage) createdTime() time.Time {
	if s.created.IsZero() {
		s.created = time.Now().UTC()
	}
	return s.created
}

// configKey is the part of the config a step's result depends on, for the
// cache key: everything but history, rootfs and times.
func (s *stage) configKey() string {
	raw, _ := json.Marshal(s.img.Config)
	return string(raw)
}

func digestOf(l api.Layer) digest.Digest { return digest.Digest(l.DiffDigest) }
