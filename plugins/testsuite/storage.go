package testsuite

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// StorageFixtures are the inputs of TestStorage. NewStorageFixtures builds
// the usual ones (busybox in both formats and a set of broken archives).
type StorageFixtures struct {
	DockerArchive string // a docker-archive of busybox, tagged DockerName
	DockerName    string
	OCIArchive    string // an oci-archive of busybox, annotated OCIName
	OCIName       string
	Malformed     []string // archives Load must reject
	// Image names an image the backend serves before any Load. It is
	// required for backends without api.CapStorageLoad, and must hold
	// bin/busybox.
	Image string
}

// TestStorage is the conformance suite every storage backend must pass,
// in-process and over go-plugin RPC.
//
// newBackend returns a configured backend (Configure already called, with
// state and run dirs of its own) and registers its own cleanup; it is
// called once per subtest. Subtests run one after the other, since a
// backend may use the caller's mount namespace. Load cases run only when
// Info announces api.CapStorageLoad; otherwise fixtures.Image must be set.
// The caller provides the environment the backend expects (for the
// c/storage ones: a user namespace, see fixtures.RunInUserNS).
//
//	testsuite.TestStorage(t, func(t *testing.T) api.Storage {
//		b := cstorage.New("overlay")
//		t.Cleanup(func() { b.Close() })
//		testsuite.ConfigureStorage(t, b, nil)
//		return b
//	}, testsuite.NewStorageFixtures(t))
func TestStorage(t *testing.T, newBackend func(t *testing.T) api.Storage, fixtures StorageFixtures) {
	s := &storageSuite{newBackend: newBackend, fx: fixtures}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"Info", s.testInfo},
		{"Images", s.testImages},
		{"Malformed", s.testMalformed},
		{"Rootfs", s.testRootfs},
		{"RootfsInspect", s.testRootfsInspect},
		{"RootfsIdempotent", s.testRootfsIdempotent},
		{"RootfsErrors", s.testRootfsErrors},
		{"RootfsDiscard", s.testRootfsDiscard},
		{"PrepareImageRootfs", s.testPrepareImageRootfs},
		{"TagRemove", s.testTagRemove},
		{"SaveLoad", s.testSaveLoad},
	} {
		t.Run(tc.name, tc.fn)
	}
}

// ConfigureStorage calls Configure on b with fresh state and run dirs and
// the given options.
func ConfigureStorage(t *testing.T, b api.Storage, options map[string]string, uidMap []api.IDMap) {
	t.Helper()
	cfg := api.Config{
		APIVersion: api.APIVersion, Options: options,
		StateDir: t.TempDir(), RunDir: t.TempDir(),
		UIDMap: uidMap, GIDMap: uidMap,
	}
	if err := b.Configure(storageCtx(t), cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}

type storageSuite struct {
	newBackend func(t *testing.T) api.Storage
	fx         StorageFixtures
}

// storageCtx bounds every call, so that a broken backend fails instead of
// hanging.
func storageCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func (s *storageSuite) testInfo(t *testing.T) {
	b := s.newBackend(t)
	info, err := b.Info(storageCtx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Kind != api.KindStorage || info.Name == "" || info.Version == "" {
		t.Errorf("Info = %+v, want kind %q, a name and a version", info, api.KindStorage)
	}
	if !slices.Contains(info.APIVersions, api.APIVersion) {
		t.Errorf("Info.APIVersions = %v, want it to contain %s", info.APIVersions, api.APIVersion)
	}
	if !slices.Contains(info.Capabilities, api.CapStorageRootfs) {
		t.Errorf("Info.Capabilities = %v, want %s", info.Capabilities, api.CapStorageRootfs)
	}
	if !storageCanLoad(t, b) && s.fx.Image == "" {
		t.Errorf("backend cannot load images and the fixtures name no preloaded Image")
	}
}

func storageCanLoad(t *testing.T, b api.Storage) bool {
	info, err := b.Info(storageCtx(t))
	return err == nil && slices.Contains(info.Capabilities, api.CapStorageLoad)
}

// withImage returns a backend and the name of a busybox image in it.
func (s *storageSuite) withImage(t *testing.T) (api.Storage, string) {
	b := s.newBackend(t)
	if !storageCanLoad(t, b) {
		return b, s.fx.Image
	}
	if _, err := b.Load(storageCtx(t), s.fx.DockerArchive, "", nil); err != nil {
		t.Fatalf("Load %s: %v", s.fx.DockerArchive, err)
	}
	return b, s.fx.DockerName
}

func storageWantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %v (kind %v), want kind %v", what, err, api.KindOf(err), kind)
	}
}
