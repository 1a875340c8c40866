// Command xattr sets and prints extended attributes, for build tests in
// images that have no setfattr/getfattr (busybox):
//
//	xattr set PATH NAME VALUE
//	xattr get PATH NAME      (prints the value, or exits 1)
//	xattr setcap PATH        (a v2 security.capability with cap_net_raw)
package main

import (
	"encoding/binary"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "xattr:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 4 && args[0] == "set":
		return unix.Lsetxattr(args[1], args[2], []byte(args[3]), 0)
	case len(args) == 3 && args[0] == "get":
		buf := make([]byte, 4096)
		n, err := unix.Lgetxattr(args[1], args[2], buf)
		if err != nil {
			return err
		}
		fmt.Printf("%x\n", buf[:n])
		return nil
	case len(args) == 2 && args[0] == "setcap":
		// vfs_cap_data revision 2, effective, permitted cap_net_raw (13).
		v := make([]byte, 20)
		binary.LittleEndian.PutUint32(v[0:], 0x02000000|1)
		binary.LittleEndian.PutUint32(v[4:], 1<<13)
		return unix.Lsetxattr(args[1], "security.capability", v, 0)
	}
	return fmt.Errorf("usage: xattr set PATH NAME VALUE | get PATH NAME | setcap PATH")
}
