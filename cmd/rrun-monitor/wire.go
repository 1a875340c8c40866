package main

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rrun-project/rrun/host/monitor/logline"
)

// The monitor protocol's JSON (host/monitor.Request and Response), read
// and written without encoding/json, whose reflection would be paid once
// per detached container. A request is one flat object; a field rrun-monitor
// does not use (exec's nested object) is skipped.

var errJSON = errors.New("unreadable request")

// parseRequest reads one request object.
func parseRequest(b []byte) (request, error) {
	var r request
	p := &scanner{b: b}
	if !p.consume('{') {
		return r, errJSON
	}
	for first := true; ; first = false {
		if p.consume('}') {
			return r, p.end()
		}
		if !first && !p.consume(',') {
			return r, errJSON
		}
		key, ok := p.str()
		if !ok || !p.consume(':') {
			return r, errJSON
		}
		if err := r.set(p, key); err != nil {
			return r, err
		}
	}
}

func (r *request) set(p *scanner, key string) error {
	var ok bool
	switch key {
	case "version":
		r.Version, ok = p.int()
	case "signal":
		r.Signal, ok = p.int()
	case "timeout":
		r.Timeout, ok = p.int()
	case "width", "height":
		var n int
		n, ok = p.int()
		if key == "width" {
			r.Width = uint(n)
		} else {
			r.Height = uint(n)
		}
	case "op":
		r.Op, ok = p.str()
	case "data":
		var s string
		if s, ok = p.str(); ok {
			r.Data, ok = decodeBase64(s)
		}
	default:
		ok = p.skip()
	}
	if !ok {
		return errJSON
	}
	return nil
}

// scanner walks a JSON text.
type scanner struct {
	b []byte
	i int
}

func (p *scanner) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *scanner) consume(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) end() error {
	if p.ws(); p.i != len(p.b) {
		return errJSON
	}
	return nil
}

func (p *scanner) int() (int, bool) {
	p.ws()
	start := p.i
	for p.i < len(p.b) && (p.b[p.i] == '-' || p.b[p.i] >= '0' && p.b[p.i] <= '9') {
		p.i++
	}
	n, err := strconv.Atoi(string(p.b[start:p.i]))
	return n, err == nil
}

// str reads a string, with JSON's escapes.
func (p *scanner) str() (string, bool) {
	if !p.consume('"') {
		return "", false
	}
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			return string(out), true
		case c != '\\':
			out = append(out, c)
		case p.i < len(p.b):
			e := p.b[p.i]
			p.i++
			if e == 'u' && p.i+4 <= len(p.b) {
				n, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
				if err != nil {
					return "", false
				}
				p.i += 4
				out = utf8.AppendRune(out, rune(n))
				continue
			}
			r, ok := map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}[e]
			if !ok {
				return "", false
			}
			out = append(out, r)
		}
	}
	return "", false
}

// skip passes over one value of any kind.
func (p *scanner) skip() bool {
	p.ws()
	if p.i >= len(p.b) {
		return false
	}
	switch p.b[p.i] {
	case '"':
		_, ok := p.str()
		return ok
	case '{', '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				if _, ok := p.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			p.i++
			if depth == 0 {
				return true
			}
		}
		return false
	}
	for p.i < len(p.b) && p.b[p.i] != ',' && p.b[p.i] != '}' {
		p.i++ // a number, true, false or null
	}
	return true
}

// encode writes r as host/monitor.Response's JSON.
func (r response) encode() []byte {
	b := []byte(`{"ok":` + strconv.FormatBool(r.OK))
	for _, f := range []struct{ k, v string }{{"error", r.Error}, {"hint", r.Hint}, {"kind", r.Kind}} {
		if f.v != "" {
			b = append(b, `,"`+f.k+`":`...)
			b = logline.AppendString(b, []byte(f.v))
		}
	}
	if r.Exited {
		b = append(b, `,"exited":true`...)
	}
	if r.Delegate {
		b = append(b, `,"delegates_exec":true`...)
	}
	return append(b, `,"exit_code":`+strconv.Itoa(r.ExitCode)+`}`...)
}

// decodeBase64 decodes standard, padded base64 (what encoding/json
// writes for []byte), without encoding/base64 and the packages it links.
func decodeBase64(s string) ([]byte, bool) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	if len(s)%4 != 0 {
		return nil, false
	}
	out := make([]byte, 0, len(s)/4*3)
	for i := 0; i < len(s); i += 4 {
		var v uint32
		pad := 0
		for j := 0; j < 4; j++ {
			c := s[i+j]
			d := strings.IndexByte(alphabet, c)
			switch {
			case c == '=' && i+4 == len(s) && j >= 2:
				pad++
				d = 0
			case d < 0 || pad > 0:
				return nil, false
			}
			v = v<<6 | uint32(d)
		}
		out = append(out, byte(v>>16), byte(v>>8), byte(v))
		out = out[:len(out)-pad]
	}
	return out, true
}
