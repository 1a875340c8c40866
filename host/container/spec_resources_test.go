package container

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/cgroups"
)

func TestLimitsToCgroupFiles(t *testing.T) {
	o := RunOptions{Memory: "512m", MemorySwap: "1g", CPUs: "1.5", CPUShares: 512, PidsLimit: 100}
	if err := o.checkLimits(); err != nil {
		t.Fatal(err)
	}
	r, err := o.resources()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"memory.max": "536870912", "memory.swap.max": "536870912",
		"cpu.max": "150000 100000", "cpu.weight": "20", "pids.max": "100"}
	if got := cgroups.Files(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("cgroup files %v, want %v", got, want)
	}
	if got := cgroups.Controllers(r); !reflect.DeepEqual(got, []string{"memory", "cpu", "pids"}) {
		t.Fatalf("controllers %v", got)
	}
}

func TestLimitsInvalid(t *testing.T) {
	for _, o := range []RunOptions{
		{Memory: "lots"}, {Memory: "1m"}, {MemorySwap: "1g"}, {Memory: "1g", MemorySwap: "512m"},
		{CPUs: "0"}, {CPUs: "-1"}, {CPUs: "100000"}, {CPUShares: -2}, {PidsLimit: -5}, {Cgroups: "maybe"}, {UserNS: "auto"},
	} {
		if err := o.checkLimits(); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
	o := RunOptions{Memory: "1.5g", MemorySwap: "-1", PidsLimit: -1}
	r, err := o.resources()
	if err != nil {
		t.Fatal(err)
	}
	if f := cgroups.Files(r); f["memory.max"] != "1610612736" || f["memory.swap.max"] != "max" || f["pids.max"] != "max" {
		t.Fatalf("files %v", f)
	}
}

func TestKeepIDMap(t *testing.T) {
	got := keepIDMap(1000, 65537)
	want := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1, Size: 1000}, {ContainerID: 1000, HostID: 0, Size: 1},
		{ContainerID: 1001, HostID: 1001, Size: 64536}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("keep-id map %v, want %v", got, want)
	}
	if got := keepIDMap(1004, 1); !reflect.DeepEqual(got, []specs.LinuxIDMapping{{ContainerID: 1004, HostID: 0, Size: 1}}) {
		t.Fatalf("single-uid keep-id map %v", got)
	}
	if got := keepIDMap(200000, 65537); len(got) != 2 || got[0].Size != 65536 {
		t.Fatalf("keep-id map for a uid above the range %v", got)
	}
}
