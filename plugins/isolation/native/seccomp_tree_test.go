//go:build linux && cgo

package native

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// TestSeccompTreeDecidesAsTheLinearFilter runs docker's default profile,
// compiled as the binary tree rrun loads and as libseccomp's plain linear
// filter, on every syscall number of the profile's architectures with
// argument values its conditions test (clone's namespace flags,
// personality), and wants the same action from both: the tree is a faster
// filter, not another one.
func TestSeccompTreeDecidesAsTheLinearFilter(t *testing.T) {
	profile := defaultSeccomp(t)
	tree, err := compileSeccompAt(profile, seccompTree)
	if err != nil {
		t.Fatal(err)
	}
	linear, err := compileSeccompAt(profile, 0)
	if err != nil {
		t.Fatal(err)
	}
	const (
		archX8664 = 0xc000003e
		archI386  = 0x40000003
		archARM64 = 0xc00000b7 // not in the profile
		x32Bit    = 0x40000000
	)
	args := [][6]uint64{{}, {0x10000000}, {0x7e020000}, {0x8}, {0x20008}, {0xffffffff}, {^uint64(0), ^uint64(0)}}
	decided, allowed := 0, 0
	for _, arch := range []uint32{archX8664, archI386, archARM64} {
		for _, base := range []int32{0, x32Bit} {
			for nr := base; nr < base+512; nr++ {
				for _, a := range args {
					data := seccompData(nr, arch, a)
					want, err := runSeccompBPF(linear, data)
					if err != nil {
						t.Fatalf("linear filter: %v", err)
					}
					got, err := runSeccompBPF(tree, data)
					if err != nil {
						t.Fatalf("tree filter: %v", err)
					}
					if got != want {
						t.Fatalf("arch %#x syscall %d args %#x: the tree returns %#x, the linear filter %#x", arch, nr, a, got, want)
					}
					decided++
					if got == 0x7fff0000 { // SECCOMP_RET_ALLOW
						allowed++
					}
				}
			}
		}
	}
	if allowed == 0 || allowed == decided {
		t.Fatalf("%d of %d cases allowed: the profile was not exercised", allowed, decided)
	}
}

// seccompData is the kernel's struct seccomp_data for a syscall.
func seccompData(nr int32, arch uint32, args [6]uint64) []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], uint32(nr))
	binary.LittleEndian.PutUint32(b[4:], arch)
	for i, a := range args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// runSeccompBPF interprets a classic BPF program of struct sock_filter
// (the instructions libseccomp emits) on data and returns its verdict.
func runSeccompBPF(prog []byte, data []byte) (uint32, error) {
	type insn struct {
		code   uint16
		jt, jf uint8
		k      uint32
	}
	n := len(prog) / 8
	code := make([]insn, n)
	for i := range code {
		p := prog[8*i:]
		code[i] = insn{binary.NativeEndian.Uint16(p), p[2], p[3], binary.NativeEndian.Uint32(p[4:])}
	}
	var a, x uint32
	var mem [16]uint32
	for pc, steps := 0, 0; pc < n && steps < 1<<16; pc, steps = pc+1, steps+1 {
		in := code[pc]
		jump := func(cond bool) {
			if cond {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		}
		switch in.code {
		case 0x20: // ld [k]
			if int(in.k)+4 > len(data) {
				return 0, fmt.Errorf("load beyond seccomp_data at %d", in.k)
			}
			a = binary.LittleEndian.Uint32(data[in.k:])
		case 0x00: // ld #k
			a = in.k
		case 0x01: // ldx #k
			x = in.k
		case 0x60: // ld M[k]
			a = mem[in.k%16]
		case 0x61: // ldx M[k]
			x = mem[in.k%16]
		case 0x02: // st M[k]
			mem[in.k%16] = a
		case 0x03: // stx M[k]
			mem[in.k%16] = x
		case 0x07: // tax
			x = a
		case 0x87: // txa
			a = x
		case 0x54: // and #k
			a &= in.k
		case 0x44: // or #k
			a |= in.k
		case 0x05: // ja
			pc += int(in.k)
		case 0x15: // jeq #k
			jump(a == in.k)
		case 0x25: // jgt #k
			jump(a > in.k)
		case 0x35: // jge #k
			jump(a >= in.k)
		case 0x45: // jset #k
			jump(a&in.k != 0)
		case 0x06: // ret #k
			return in.k, nil
		case 0x16: // ret a
			return a, nil
		default:
			return 0, fmt.Errorf("instruction %#04x at %d is not interpreted here", in.code, pc)
		}
	}
	return 0, fmt.Errorf("the program ran off its end")
}
