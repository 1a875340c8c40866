package handoff

import (
	"reflect"
	"testing"
)

// What Encode writes, Decode reads back, whatever the paths hold.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	s := State{Version: Version, ID: "abc", Pid: 42, Interactive: true, StopSignal: 15, StopTimeout: -3,
		Rrun: []string{"/opt/my rrun/rrun", "--log-level", "warn", `a"b=c d`, ""}, Restarts: "2 400",
		Listener: 7, Log: 8, Stdout: -1, Stderr: 9, Master: -1, Stdin: 10, Owner: 3,
		NetHelper: 99, NetDir: "/run/user/1/rrun/sessions/x y", NetLock: 11}
	got, err := Decode(s.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
	}
	if _, err := Decode("pid=x"); err == nil {
		t.Fatal("a bad number must be refused")
	}
	if _, err := Decode(`id="unterminated`); err == nil {
		t.Fatal("a bad quote must be refused")
	}
}
