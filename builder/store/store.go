// Package store keeps build state on disk: each project's last result and
// last good output, the history, the build logs, the markers of running
// builds (and the sweep of builds whose nixpass was killed), the
// warned-once markers, and the flock(2) locks that the builder lock, the
// markers and the history use.
//
// It may import builder (the root), script and shq.
package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"nixpass/builder"

	"github.com/google/renameio/v2"
)

// Store keeps build state on disk: each project's last result and last
// good output, the build history and the build logs. Every file is written
// to a temporary name and renamed, so a crash never leaves a torn record.
type Store struct {
	// StateDir holds records and history.
	StateDir string
	// LogDir holds build logs.
	LogDir string
}

// historyMax bounds history.jsonl; older records are dropped.
const historyMax = 1000

// logsKept is how many build logs are kept per project.
const logsKept = 20

// GoodOutput describes the image last copied into a project, so the next
// build can tell whether that file is still intact.
type GoodOutput struct {
	StorePath string    `json:"store_path"`
	Output    string    `json:"output"`
	Size      int64     `json:"size"`
	ModTime   time.Time `json:"mod_time"`
	Image     string    `json:"image,omitempty"`
	// Loaded is what nixpass last loaded into Docker from this file.
	Loaded string `json:"loaded,omitempty"`
	// LoadedID is the image ID Loaded had in Docker after that load: an
	// up-to-date build whose Docker still holds it does not load again.
	LoadedID string `json:"loaded_id,omitempty"`
	Platform string `json:"platform,omitempty"`
	// Pushed is what this file (this store path) was pushed as, keyed by
	// the project's push ref as configured: an up-to-date build of the
	// same store path to the same ref pushes nothing. A failed push is
	// not recorded, so the next build retries it.
	Pushed map[string]builder.PushResult `json:"pushed,omitempty"`
	// Uploaded are the team caches (public URLs; "#build-deps" marks one
	// that took the build-time closure too) this output's closure was
	// uploaded to: an up-to-date build uploads nothing to them again.
	Uploaded []string `json:"uploaded,omitempty"`
	// Systems are, for a project with systems = [...], the last good
	// images of the systems other than the builder's own (which is this
	// output), keyed by Nix system: files in the state folder
	// (SystemImagePath), each kept alive by its own garbage-collector
	// root. A push of this output pushes them too, under one tag.
	Systems map[string]GoodOutput `json:"systems,omitempty"`
}

type projectRecord struct {
	Last     *builder.Result `json:"last,omitempty"`
	LastGood *GoodOutput     `json:"last_good,omitempty"`
}

func (s *Store) recordPath(dir string) string {
	return filepath.Join(s.StateDir, "projects", builder.ProjectKey(dir)+".json")
}

func (s *Store) load(dir string) (projectRecord, error) {
	var rec projectRecord
	b, err := os.ReadFile(s.recordPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return rec, nil
	}
	if err != nil {
		return rec, fmt.Errorf("read build record: %w", err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return projectRecord{}, fmt.Errorf("read build record %s: %w", s.recordPath(dir), err)
	}
	return rec, nil
}

// Last returns the last finished build of the project in dir, or nil.
func (s *Store) Last(dir string) (*builder.Result, error) {
	rec, err := s.load(dir)
	return rec.Last, err
}

// LastGood returns the last good output of dir as recorded, whether or
// not its file is still intact (what was uploaded follows the store
// path, not the file), or nil.
func (s *Store) LastGood(dir string) *GoodOutput {
	rec, err := s.load(dir)
	if err != nil {
		return nil
	}
	return rec.LastGood
}

// IntactGood returns the last good output of dir if the file is still the
// one nixpass wrote (same size and modification time).
func (s *Store) IntactGood(dir string) *GoodOutput {
	rec, err := s.load(dir)
	if err != nil || !rec.LastGood.Intact() {
		return nil
	}
	return rec.LastGood
}

// Intact reports whether g's file is still the one nixpass wrote (same
// size and modification time); false for nil.
func (g *GoodOutput) Intact() bool {
	if g == nil {
		return false
	}
	st, err := os.Stat(g.Output)
	return err == nil && st.Size() == g.Size && st.ModTime().Equal(g.ModTime)
}

// LastGoodImage is the image file of the last good build of the project
// in dir, and its store path, while that file is still the one nixpass
// wrote; "" when there is none.
func (s *Store) LastGoodImage(dir string) (file, storePath string) {
	if g := s.IntactGood(dir); g != nil {
		return g.Output, g.StorePath
	}
	return "", ""
}

// SetGood replaces the last good output of the project in dir, leaving
// its last result and the history as they are (a push recorded with the
// image it pushed).
func (s *Store) SetGood(dir string, good *GoodOutput) error {
	rec, err := s.load(dir)
	if err != nil {
		return err
	}
	rec.LastGood = good
	return s.save(dir, rec, true)
}

// Record saves res as the project's last result (and good, when set, as
// its last good output) and appends res to the history.
func (s *Store) Record(res *builder.Result, good *GoodOutput) error {
	rec, err := s.load(res.Project)
	if err != nil {
		rec = projectRecord{}
	}
	rec.Last = res
	durable := good == nil || !sameGood(good, rec.LastGood)
	if good != nil {
		rec.LastGood = good
	}
	if err := s.save(res.Project, rec, durable); err != nil {
		return err
	}
	return s.appendHistory(res)
}

// save writes the record of the project in dir (temp file + rename),
// synced first when durable (writeRecord).
func (s *Store) save(dir string, rec projectRecord, durable bool) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.recordPath(dir)), 0o700); err != nil {
		return fmt.Errorf("save build record: %w", err)
	}
	if err := writeRecord(s.recordPath(dir), b, durable); err != nil {
		return fmt.Errorf("save build record: %w", err)
	}
	return nil
}

func (s *Store) historyPath() string { return filepath.Join(s.StateDir, "history.jsonl") }

// appendHistory adds one line to history.jsonl. The file is appended to,
// not rewritten: only when it has grown past historyCompactBytes is it
// cut back to its last historyMax records (temp file + rename), under a
// lock so that no other nixpass's line is lost in between.
func (s *Store) appendHistory(res *builder.Result) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.StateDir, 0o700); err != nil {
		return fmt.Errorf("save history: %w", err)
	}
	l, err := LockWait(context.Background(), s.historyPath()+".lock", nil)
	if err != nil {
		return fmt.Errorf("save history: %w", err)
	}
	defer l.Release()
	f, err := os.OpenFile(s.historyPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("save history: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	st, serr := f.Stat()
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("save history: %w", werr)
	}
	if serr != nil || st.Size() <= historyCompactBytes {
		return nil
	}
	lines, err := s.readHistoryLines()
	if err != nil {
		return err
	}
	if len(lines) > historyMax {
		lines = lines[len(lines)-historyMax:]
	}
	if err := renameio.WriteFile(s.historyPath(), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("compact history: %w", err)
	}
	return nil
}

// historyCompactBytes is the size past which history.jsonl is compacted:
// about four times historyMax typical records, so a rewrite is rare.
var historyCompactBytes int64 = 2 << 20

func (s *Store) readHistoryLines() ([]string, error) {
	f, err := os.Open(s.historyPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			lines = append(lines, sc.Text())
		}
	}
	return lines, sc.Err()
}

// History returns up to limit most recent results, newest last; limit <= 0
// means all that are kept.
func (s *Store) History(limit int) ([]builder.Result, error) {
	lines, err := s.readHistoryLines()
	if err != nil {
		return nil, err
	}
	if limit > 0 && len(lines) > limit {
		lines = lines[len(lines)-limit:]
	}
	out := make([]builder.Result, 0, len(lines))
	for _, l := range lines {
		var r builder.Result
		if json.Unmarshal([]byte(l), &r) == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// NewLog creates a log file for a build of dir started at t and removes
// the oldest logs beyond logsKept, or beyond logsKept*LogCap bytes in all
// (logs of older versions were not capped).
func (s *Store) NewLog(dir string, t time.Time) (*Log, error) {
	ldir := s.logFolder(dir)
	if err := os.MkdirAll(ldir, 0o700); err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(ldir, t.Format("20060102-150405.000")+".log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(ldir, "*.log"))
	sort.Sort(sort.Reverse(sort.StringSlice(old)))
	var total int64
	for i, p := range old {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
		if i >= logsKept || (i > 0 && total > logsKept*LogCap) {
			_ = os.Remove(p)
		}
	}
	return newLog(f), nil
}

// logFolder is where the build logs of the project in dir are kept.
func (s *Store) logFolder(dir string) string {
	return filepath.Join(s.LogDir, "builds", builder.SafeName(filepath.Base(dir))+"-"+builder.ProjectKey(dir)[:8])
}

// LatestLog is the newest build log of the project in dir, or "".
func (s *Store) LatestLog(dir string) string {
	logs, _ := filepath.Glob(filepath.Join(s.logFolder(dir), "*.log"))
	if len(logs) == 0 {
		return ""
	}
	// Names are start times (20060102-150405.000.log): the last sorts newest.
	return logs[len(logs)-1]
}

// ProjectHistory returns the kept results of the project in dir, newest
// first (what `nixpass history DIR` and the menu's "Show history…" list).
func (s *Store) ProjectHistory(dir string) ([]builder.Result, error) {
	all, err := s.History(0)
	if err != nil {
		return nil, err
	}
	var out []builder.Result
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Project == dir {
			out = append(out, all[i])
		}
	}
	return out, nil
}
