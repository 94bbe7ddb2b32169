package registry

import (
	"fmt"
	"sync"
	"time"
)

// Progress is the state of a push, for a progress bar, the menu and the
// PushProgress events of `app --json`.
type Progress struct {
	// Name is the project (or image) being pushed.
	Name string `json:"name"`
	// Ref is where it goes.
	Ref string `json:"ref"`
	// Layers is how many layers are done (uploaded, or found in the
	// registry once the push ends); LayersTotal how many the image has.
	Layers      int `json:"layers"`
	LayersTotal int `json:"layers_total"`
	// Bytes is what was uploaded so far; BytesTotal the compressed size
	// of every layer.
	Bytes      int64 `json:"bytes"`
	BytesTotal int64 `json:"bytes_total"`
	// Done is set on the last event of a push.
	Done bool `json:"done,omitempty"`
}

// MenuLine is the menu's line for p: "Pushing NAME: 3/7 layers, 120/400 MB".
func (p Progress) MenuLine() string {
	return fmt.Sprintf("Pushing %s: %d/%d layers, %d/%d MB", p.Name, p.Layers, p.LayersTotal, mb(p.Bytes), mb(p.BytesTotal))
}

func mb(n int64) int64 { return (n + 500_000) / 1_000_000 }

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
	return &tracker{p: Progress{Name: name, Ref: ref}, report: report, layers: map[*layer]bool{}}
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
	t.mu.Unlock()
	if send {
		t.report(p)
	}
}

// finish sends the last event: every layer is done.
func (t *tracker) finish() {
	t.mu.Lock()
	t.p.Layers, t.p.Done = t.p.LayersTotal, true
	p := t.p
	t.mu.Unlock()
	if t.report != nil {
		t.report(p)
	}
}
