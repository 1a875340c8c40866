package container

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rrun-project/rrun/plugins/api"
)

// FuzzEnvFile checks what an accepted --env-file gives: valid UTF-8
// KEY=VALUE variables with a name free of spaces, each a line of the file
// taken as it is (after leading spaces), or a bare KEY with the caller's
// value, in the order of the file.
func FuzzEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\nB=2\n", "\xef\xbb\xbf# c\nA= x \"q\" \n\n  B=\r\nHOME\nUNSET_X\n", "MY VAR=1",
		"=1", "A=\xff", " \tA=b=c", "A B", "\xef\xbb\xbf\xef\xbb\xbfA=1", "A\u00a0=1", "#=x\n   \n\t#c"} {
		f.Add([]byte(s))
	}
	p := filepath.Join(f.TempDir(), "env")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		vars, err := readEnvFile(p)
		if err != nil {
			if !errors.Is(err, api.ErrInvalidArgument) {
				t.Fatalf("%q: error %v is not ErrInvalidArgument", data, err)
			}
			return
		}
		lines := envLines(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
		for _, kv := range vars {
			key, val, ok := strings.Cut(kv, "=")
			if !ok || key == "" || strings.ContainsFunc(key, unicode.IsSpace) || !utf8.ValidString(kv) {
				t.Fatalf("%q: variable %q", data, kv)
			}
			i := slices.IndexFunc(lines, func(l string) bool {
				l = strings.TrimLeftFunc(l, unicode.IsSpace)
				return l == kv || (strings.TrimSpace(l) == key && os.Getenv(key) == val)
			})
			if i < 0 {
				t.Fatalf("%q: variable %q is no line of the file (%q)", data, kv, lines)
			}
			lines = lines[i+1:]
		}
	})
}

// envLines splits data into lines as the env-file reader does.
func envLines(data []byte) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// FuzzUser checks --user against a container's /etc/passwd and
// /etc/group: a value Resolve accepts resolves to the uid or gid it spells
// in numbers, or to the entry of the name it gives, and the gid comes
// first in the additional gids.
func FuzzUser(f *testing.F) {
	passwd := "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n# c\nodd:x:abc:-1\n"
	group := "root:x:0:\nwheel:x:10:app,root\napp:x:1000:\n"
	for _, u := range []string{"0", "app", "app:wheel", "1000:10", "root:app", "nobody", "4294967296", "app:", ":1", "odd"} {
		f.Add(u, []byte(passwd), []byte(group))
	}
	root := f.TempDir()
	if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
		f.Fatal(err)
	}
	rootfs := []api.Mount{{Type: "bind", Source: root, Target: "/"}}
	f.Fuzz(func(t *testing.T, user string, passwd, group []byte) {
		if err := (&RunOptions{User: user}).checkProcess(); err != nil {
			return
		}
		writeFile(t, filepath.Join(root, "etc/passwd"), passwd)
		writeFile(t, filepath.Join(root, "etc/group"), group)
		u, err := resolveUser(user, rootfs)
		if err != nil {
			return
		}
		name, grp, hasGroup := strings.Cut(user, ":")
		if len(u.AdditionalGids) == 0 || u.AdditionalGids[0] != u.GID {
			t.Fatalf("%q: gid %d is not first of %v", user, u.GID, u.AdditionalGids)
		}
		if n, err := strconv.ParseUint(name, 10, 32); name == "" && u.UID != 0 {
			t.Fatalf("no user resolves to uid %d, not root", u.UID)
		} else if err == nil && uint64(u.UID) != n {
			t.Fatalf("%q: uid %d", user, u.UID)
		} else if name != "" && err != nil && !hasEntry(passwd, name) {
			t.Fatalf("%q: user %q has no passwd entry, yet resolves to %+v", user, name, u)
		}
		if n, err := strconv.ParseUint(grp, 10, 32); hasGroup && err == nil && uint64(u.GID) != n {
			t.Fatalf("%q: gid %d", user, u.GID)
		} else if hasGroup && err != nil && !hasEntry(group, grp) {
			t.Fatalf("%q: group %q has no entry, yet resolves to %+v", user, grp, u)
		}
	})
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hasEntry reports whether a passwd or group file has a line for name.
func hasEntry(file []byte, name string) bool {
	for _, l := range envLines(file) {
		if strings.HasPrefix(l, name+":") {
			return true
		}
	}
	return false
}

// FuzzSecurityOpt checks that --security-opt values are taken one by one:
// a list is accepted when each value is, and no-new-privileges is what
// the last value that sets it says.
func FuzzSecurityOpt(f *testing.F) {
	for _, s := range []string{"no-new-privileges", "no-new-privileges:true", "no-new-privileges=false", "seccomp=unconfined",
		"apparmor:unconfined", "label=disable", "no-new-privileges:maybe", "seccomp=profile.json", "no-new-privileges:1:2"} {
		f.Add(s, "no-new-privileges:false")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		both, errBoth := noNewPrivileges([]string{a, b})
		onlyA, errA := noNewPrivileges([]string{a})
		onlyB, errB := noNewPrivileges([]string{b})
		if (errBoth == nil) != (errA == nil && errB == nil) {
			t.Fatalf("%q, %q: together %v, alone %v and %v", a, b, errBoth, errA, errB)
		}
		for _, err := range []error{errBoth, errA, errB} {
			if err != nil && !errors.Is(err, api.ErrInvalidArgument) {
				t.Fatalf("%q, %q: error %v is not ErrInvalidArgument", a, b, err)
			}
		}
		if errBoth != nil {
			return
		}
		if want := onlyB || (onlyA && !setsNNP(b)); both != want {
			t.Fatalf("%q, %q: no-new-privileges %v, want %v", a, b, both, want)
		}
	})
}

// setsNNP reports whether an accepted --security-opt value sets
// no-new-privileges (rather than being a no-op such as
// seccomp=unconfined).
func setsNNP(v string) bool { return strings.HasPrefix(v, "no-new-privileges") }

// FuzzUlimit checks an accepted --ulimit: a known limit whose soft value
// is not above the hard one, written back as NAME=SOFT:HARD to the same
// limit, and in a list a later value for a name replaces the earlier one.
func FuzzUlimit(f *testing.F) {
	for _, s := range []string{"nofile=1024:2048", "nproc=-1", "core=unlimited:unlimited", "stack=8", "nofile=2:1",
		"files=1", "cpu=", "as=18446744073709551615", "rtprio=+1", "nice=-1:-1", "memlock=1:-1"} {
		f.Add(s, "nofile=1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		rl, err := parseUlimit(a)
		if err != nil {
			if !errors.Is(err, api.ErrInvalidArgument) {
				t.Fatalf("%q: error %v is not ErrInvalidArgument", a, err)
			}
			return
		}
		name, _, _ := strings.Cut(a, "=")
		if rl.Type != ulimitNames[name] || rl.Soft > rl.Hard {
			t.Fatalf("%q: %+v", a, rl)
		}
		again, err := parseUlimit(name + "=" + limitString(rl.Soft) + ":" + limitString(rl.Hard))
		if err != nil || again != rl {
			t.Fatalf("%q: %+v written back parses to %+v, %v", a, rl, again, err)
		}
		rlB, errB := parseUlimit(b)
		all, err := processRlimits([]string{a, b})
		if (err == nil) != (errB == nil) {
			t.Fatalf("%q, %q: %v, but %q alone: %v", a, b, err, b, errB)
		}
		if err != nil {
			return
		}
		if want := map[bool]int{true: 1, false: 2}[rlB.Type == rl.Type]; len(all) != want || all[len(all)-1] != rlB {
			t.Fatalf("%q, %q: %+v", a, b, all)
		}
	})
}

func limitString(n uint64) string {
	if n == math.MaxUint64 {
		return "-1"
	}
	return strconv.FormatUint(n, 10)
}
