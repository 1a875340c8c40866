package main

import (
	"bytes"
	"syscall"
	"time"

	"github.com/rrun-project/rrun/host/monitor/logline"
)

// maxLine is where a line without a newline is cut, as rrun's monitor does.
const maxLine = 64 << 10

// startLogs copies the init's output into its log: stdout and stderr
// pipes, or the terminal (logged as stdout).
func (m *monitor) startLogs() {
	for _, p := range []struct {
		fd     int
		stream string
	}{{m.st.Stdout, "stdout"}, {m.st.Stderr, "stderr"}, {dupOf(m.st.Master), "stdout"}} {
		if p.fd < 0 {
			continue
		}
		m.pumps.Add(1)
		go m.pump(p.fd, p.stream)
	}
}

func dupOf(fd int) int {
	if fd < 0 {
		return -1
	}
	d, err := syscall.Dup(fd)
	if err != nil {
		return -1
	}
	syscall.CloseOnExec(d)
	return d
}

// pump logs what fd gives, line by line, until EOF (or EIO: a terminal
// whose last holder closed it).
func (m *monitor) pump(fd int, stream string) {
	defer m.pumps.Done()
	defer syscall.Close(fd)
	buf := make([]byte, 32<<10)
	var partial, batch []byte
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 {
			break
		}
		partial = append(partial, buf[:n]...)
		var lines [][]byte
		for {
			i := bytes.IndexByte(partial, '\n')
			if i < 0 {
				break
			}
			lines = append(lines, partial[:i+1])
			partial = partial[i+1:]
		}
		if len(partial) >= maxLine {
			lines, partial = append(lines, partial), nil
		}
		if len(lines) > 0 {
			batch = logline.AppendEntries(batch[:0], time.Now().UTC(), stream, lines)
			m.writeLog(batch)
		}
		partial = append([]byte(nil), partial...) // do not pin buf's old lines
	}
	if len(partial) > 0 {
		m.writeLog(logline.AppendEntries(nil, time.Now().UTC(), stream, [][]byte{partial}))
	}
}

func (m *monitor) writeLog(b []byte) {
	m.logMu.Lock()
	defer m.logMu.Unlock()
	for len(b) > 0 {
		n, err := syscall.Write(m.st.Log, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return // a full disk loses log lines, never the container
		}
		b = b[n:]
	}
}

// drainLogs waits until the output is logged, at most d after the init
// exited (a background process of the container may hold a pipe open).
func (m *monitor) drainLogs(d time.Duration) {
	waitFor(&m.pumps, d)
}
