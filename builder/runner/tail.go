package runner

import (
	"bytes"
	"io"
)

// StreamedCapture is how much of a streamed output Result keeps: its end.
const StreamedCapture = 64 << 10

// captured is a command's output as Result holds it.
type captured interface {
	io.Writer
	Bytes() []byte
	String() string
}

// capture is everything when nothing else receives the output, and the
// last StreamedCapture bytes when streamed is set.
func capture(streamed io.Writer) captured {
	if streamed == nil {
		return &bytes.Buffer{}
	}
	return &tailBuffer{max: StreamedCapture}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) Bytes() []byte  { return t.buf }
func (t *tailBuffer) String() string { return string(t.buf) }
