package build

import (
	"context"
	"path/filepath"
	"sync"

	"nixpass/builder"
	"nixpass/builder/store"
)

// Uploads runs cache uploads after their builds have returned (the app):
// the builder lock is free for the next build of another project while an
// upload goes on; a build of the same project waits for it; Wait is what
// quitting waits on. Each upload is on Users' record while it runs, so a
// stop or resize of the VM, in any process, waits for it.
type Uploads struct {
	// Users, when set, records each running upload (vmusers.Record).
	// An upload must therefore never wait for the builder lock: a build
	// growing the VM holds it while it waits for the uploads.
	Users Registrar

	mu      sync.Mutex
	running map[string]chan struct{} // project folder → closed at the end
	wg      sync.WaitGroup
}

// Registrar records a user of the VM for as long as it runs.
type Registrar interface {
	// Register records what (such as "the cache upload of app") as a user
	// of the VM; done ends the record.
	Register(what string) (done func())
}

// start runs f for the project in dir in the background.
func (u *Uploads) start(dir string, f func()) {
	unregister := func() {}
	if u.Users != nil {
		unregister = u.Users.Register("the cache upload of " + filepath.Base(dir))
	}
	done := make(chan struct{})
	u.mu.Lock()
	if u.running == nil {
		u.running = map[string]chan struct{}{}
	}
	u.running[dir] = done
	u.wg.Add(1)
	u.mu.Unlock()
	go func() {
		defer u.wg.Done()
		defer unregister()
		defer close(done)
		defer func() {
			u.mu.Lock()
			if u.running[dir] == done {
				delete(u.running, dir)
			}
			u.mu.Unlock()
		}()
		f()
	}()
}

// waitProject waits for the upload of dir's last build, if one runs, or
// for ctx.
func (u *Uploads) waitProject(ctx context.Context, dir string) {
	u.mu.Lock()
	done := u.running[dir]
	u.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Running is how many uploads run now.
func (u *Uploads) Running() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.running)
}

// Wait waits for every running upload to end, or for ctx.
func (u *Uploads) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { u.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// uploadLater ends the run's builder part now (the lock is already free,
// the running marker goes) and runs its upload in the background; the
// result is completed, recorded and announced when the upload ends. It
// returns a copy of the result as it stands, without the upload.
func (r *run) uploadLater(ctx context.Context, good *store.GoodOutput) *builder.Result {
	if r.b.Store != nil {
		r.b.Store.EndBuild(r.token, r.marker)
		r.marker = nil
	}
	now := *r.res
	uctx := context.WithoutCancel(ctx)
	r.b.Uploads.start(r.p.Dir, func() {
		r.later, r.uploadNow = nil, true
		r.uploadToCache(uctx, good)
		r.finish(good)
	})
	return &now
}
