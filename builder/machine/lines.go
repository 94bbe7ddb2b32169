package machine

import (
	"bytes"
	"sync"
)

// LineWriter is an io.Writer that calls fn once per complete line, so
// output streamed from a process can be parsed as it arrives.
type LineWriter struct {
	mu  sync.Mutex
	buf []byte
	// Fn receives each line, without its newline.
	Fn func(line string)
}

// Write implements io.Writer.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(bytes.TrimRight(w.buf[:i], "\r"))
		w.buf = w.buf[i+1:]
		w.Fn(line)
	}
	return len(p), nil
}

// Flush delivers a last line that had no newline.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		line := string(w.buf)
		w.buf = nil
		w.Fn(line)
	}
}
