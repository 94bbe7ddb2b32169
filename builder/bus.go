package builder

import "sync"

// Bus is the one stream of events: the core publishes, the tray, the
// notifier and the CLI subscribe. Publishing never blocks: a subscriber
// that falls more than its buffer behind loses events (log lines first
// in practice) rather than stalling a build.
type Bus struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Event
}

// Publish sends e to every subscriber.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel.
func (b *Bus) Subscribe() (<-chan Event, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[int]chan Event{}
	}
	id := b.next
	b.next++
	ch := make(chan Event, 1024)
	b.subs[id] = ch
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if c, ok := b.subs[id]; ok {
			delete(b.subs, id)
			close(c)
		}
	}
}
