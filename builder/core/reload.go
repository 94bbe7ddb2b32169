package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"nixpass/builder"
	"nixpass/builder/config"
)

// watchConfig reloads the config when the file changes (nixpass add or
// remove from the CLI, or an edit). A config that does not parse is
// reported and the last good one stays in force.
func (a *App) watchConfig(ctx context.Context) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		a.logf("watch config: %v", err)
		return
	}
	defer fw.Close()
	dir := filepath.Dir(a.env.Path)
	_ = os.MkdirAll(dir, 0o700)
	if err := fw.Add(dir); err != nil {
		a.logf("watch config: %v", err)
		return
	}
	var timer *time.Timer
	problem := func(msg string, err error) {
		cp := builder.ConfigProblem{At: builder.At{Time: time.Now()}, Path: a.env.Path, Message: msg}
		var pe *config.ParseError
		if err != nil {
			cp.Reason = err.Error()
		}
		if errors.As(err, &pe) {
			cp.Line, cp.Key, cp.Reason = pe.Line, pe.Key, pe.Msg
		}
		a.mu.Lock()
		a.configProblem = &cp
		a.mu.Unlock()
		a.internal.Publish(cp)
	}
	reload := func() {
		if empty, err := configEmpty(a.env.Path); err == nil && empty {
			a.mu.Lock()
			n := len(a.env.Config.Projects)
			a.mu.Unlock()
			problem(fmt.Sprintf("config not reloaded: %s is empty or missing; keeping the last good config (%d project(s)) until it has settings again", a.env.Path, n), errors.New("the file is empty or missing; the last good config stays in force"))
			return
		}
		cfg, err := config.Load(a.env.Path)
		if err != nil {
			problem(fmt.Sprintf("config not reloaded: %v; keeping the last good config", err), err)
			return
		}
		a.mu.Lock()
		a.configProblem = nil
		a.mu.Unlock()
		a.enqueue(a.apply(cfg, false), "added")
		a.internal.Publish(builder.BuilderChanged{At: builder.At{Time: time.Now()}, Status: a.Snapshot().Builder})
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fw.Events:
			if !ok {
				return
			}
			if filepath.Base(ev.Name) != filepath.Base(a.env.Path) || ev.Op == fsnotify.Chmod {
				continue
			}
			if timer == nil {
				timer = time.AfterFunc(100*time.Millisecond, reload)
			} else {
				timer.Reset(100 * time.Millisecond)
			}
		case <-fw.Errors:
		}
	}
}

// configEmpty reports whether the config file is missing or holds nothing
// but blanks and comments: while the app runs that is an accident (an
// editor's truncation, a failed copy), not a wish to drop every project.
func configEmpty(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return false, nil
		}
	}
	return true, nil
}
