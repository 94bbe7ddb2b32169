package registry

import (
	"sync"
	"time"

	"nixpass/builder"
)

// Progress is builder.PushProgress, the event a push sends as layers
// upload.
type Progress = builder.PushProgress

// progressEvery throttles progress callbacks.
const progressEvery = 200 * time.Millisecond

// tracker adds up what the layers of one push send.
type tracker struct {
	mu     sync.Mutex
	p      Progress
	report func(Progress)
	layers map[*layer]bool // uploaded layers, done when true
	last   time.Time
}

func newTracker(name, ref string, report func(Progress)) *tracker {
	return &tracker{p: Progress{Project: name, Ref: ref}, report: report, layers: map[*layer]bool{}}
}

// setTotals starts the count with the image's unique layers.
func (t *tracker) setTotals(layers int, bytes int64) {
	t.mu.Lock()
	t.p.LayersTotal, t.p.BytesTotal = layers, bytes
	t.mu.Unlock()
}

func (t *tracker) update(eof bool, l *layer) {
	if t == nil {
		return
	}
	t.mu.Lock()
	if !t.layers[l] {
		t.layers[l] = eof
	}
	t.p.Bytes, t.p.Layers = 0, 0
	for x, done := range t.layers {
		t.p.Bytes += x.sent.Load()
		if done {
			t.p.Layers++
		}
	}
	now := time.Now()
	send := t.report != nil && (eof || now.Sub(t.last) >= progressEvery)
	if send {
		t.last = now
	}
	p := t.p
	p.Time = now
	if send {
		t.report(p) // under mu: calls never overlap and come in order
	}
	t.mu.Unlock()
}

// finish sends the last event: every layer is done.
func (t *tracker) finish() {
	t.mu.Lock()
	t.p.Layers, t.p.Done = t.p.LayersTotal, true
	p := t.p
	p.Time = time.Now()
	if t.report != nil {
		t.report(p)
	}
	t.mu.Unlock()
}
