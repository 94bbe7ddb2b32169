package machine

import (
	"bytes"
	"fmt"
	"sync"
)

// MaxLine bounds one line a LineWriter delivers: a longer line is cut to
// its first MaxLine bytes, followed by a note of how much was left out,
// so a process printing one endless line costs no more than that.
const MaxLine = 64 << 10

// LineWriter is an io.Writer that calls fn once per complete line, so
// output streamed from a process can be parsed as it arrives.
type LineWriter struct {
	mu  sync.Mutex
	buf []byte
	// cut counts the bytes of the current line beyond MaxLine.
	cut int64
	// Fn receives each line, without its newline.
	Fn func(line string)
}

// Write implements io.Writer.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.add(p)
			break
		}
		w.add(p[:i])
		w.deliver()
		p = p[i+1:]
	}
	return n, nil
}

func (w *LineWriter) add(p []byte) {
	room := MaxLine - len(w.buf)
	if len(p) > room {
		w.cut += int64(len(p) - room)
		p = p[:room]
	}
	w.buf = append(w.buf, p...)
}

func (w *LineWriter) deliver() {
	line := string(bytes.TrimRight(w.buf, "\r"))
	if w.cut > 0 {
		line += fmt.Sprintf(" … (%d more bytes of this line left out)", w.cut)
	}
	w.buf, w.cut = w.buf[:0], 0
	w.Fn(line)
}

// Flush delivers a last line that had no newline.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 || w.cut > 0 {
		w.deliver()
	}
}
