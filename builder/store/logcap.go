package store

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"

	"nixpass/builder"
)

// A stored build log is capped, so a builder that prints gigabytes costs
// neither memory nor disk: past LogCap bytes, the middle of the build's
// output is cut. What stays is the header (the first LogHead bytes: the
// build's start and the kernel-evidence window), every line of nixpass's
// own, and at least the last LogTail bytes (what `explain` reads), with
// one line starting with builder.LogCutPrefix where the cut is.
const (
	LogCap  = 4 << 20
	LogHead = 64 << 10
	LogTail = 2 << 20
)

// Log is one build's log file, written line by line and capped at LogCap
// (plus nixpass's own lines from the part cut out).
type Log struct {
	mu   sync.Mutex
	f    *os.File
	size int64
	// headEnd is where the header ends (0 until it is full).
	headEnd int64
	// liveStart is where the output written since the last cut starts.
	liveStart int64
	// own are nixpass's lines at or after liveStart, with their offsets.
	own []ownLine
	// kept are nixpass's lines from the parts cut out, in order.
	kept []byte
	// cut counts the bytes of build output left out.
	cut int64
	err error
}

type ownLine struct {
	at   int64
	text string
}

func newLog(f *os.File) *Log { return &Log{f: f} }

// Name is the log file's path.
func (l *Log) Name() string { return l.f.Name() }

// Line appends a line of the build's output (Nix's log).
func (l *Log) Line(s string) { l.write(s, false) }

// Own appends a line of nixpass's own, which a cut never removes.
func (l *Log) Own(s string) { l.write(s, true) }

// Close closes the file; it returns the first error met while writing.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.f.Close(); l.err == nil {
		l.err = err
	}
	return l.err
}

func (l *Log) write(s string, own bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	if l.headEnd == 0 && l.size >= LogHead {
		l.headEnd, l.liveStart = l.size, l.size
	}
	if own && l.headEnd > 0 {
		l.own = append(l.own, ownLine{at: l.size, text: s})
	}
	n, err := l.f.WriteAt([]byte(s+"\n"), l.size)
	l.size += int64(n)
	if err != nil {
		l.err = fmt.Errorf("write log: %w", err)
		return
	}
	if l.headEnd > 0 && l.size > LogCap {
		if err := l.compact(); err != nil {
			l.err = fmt.Errorf("cut log: %w", err)
		}
	}
}

// compact cuts the output between the header and the last LogTail bytes
// (from a line's start), keeping nixpass's lines and one cut marker.
func (l *Log) compact() error {
	if l.size-LogTail <= l.liveStart {
		return nil
	}
	from := max(l.liveStart, l.size-LogTail-2*LogHead)
	buf := make([]byte, l.size-from)
	if _, err := l.f.ReadAt(buf, from); err != nil && err != io.EOF {
		return err
	}
	want := l.size - LogTail - from // the tail starts at or before this index
	at := int64(bytes.LastIndexByte(buf[:want], '\n')) + 1
	if at == 0 && from > l.liveStart {
		at = want // a line longer than the slack: cut inside it
	}
	cutAt := from + at
	if cutAt <= l.liveStart {
		return nil
	}
	tail := buf[at:]
	var rest []ownLine
	for _, o := range l.own {
		if o.at < cutAt {
			l.kept = append(append(l.kept, o.text...), '\n')
			l.cut -= int64(len(o.text) + 1)
		} else {
			rest = append(rest, o)
		}
	}
	l.cut += cutAt - l.liveStart
	marker := fmt.Sprintf("%s %d bytes of build output left out here (a log keeps its first 64 KiB, nixpass's own lines and at least its last 2 MiB)\n",
		builder.LogCutPrefix, l.cut)
	mid := append([]byte(marker), l.kept...)
	if _, err := l.f.WriteAt(append(mid, tail...), l.headEnd); err != nil {
		return err
	}
	l.liveStart = l.headEnd + int64(len(mid))
	shift := l.liveStart - cutAt
	for i := range rest {
		rest[i].at += shift
	}
	l.own = rest
	l.size = l.liveStart + int64(len(tail))
	return l.f.Truncate(l.size)
}
