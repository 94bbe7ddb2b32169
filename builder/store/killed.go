package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"nixpass/builder"
	"nixpass/builder/script"
	"nixpass/builder/shq"
)

// A build in progress leaves a marker, state/running/TOKEN.json, locked by
// the build (the nixpass process and, on this host, the script and its
// children). A marker nobody holds locked is a build whose nixpass was
// killed: the next nixpass cleans what it left and records it as killed.

// RunningMarker is what a build in progress writes about itself.
type RunningMarker struct {
	Token   string    `json:"token"`
	Project string    `json:"project"`
	Output  string    `json:"output"`
	Log     string    `json:"log,omitempty"`
	Started time.Time `json:"started"`
	PID     int       `json:"pid"`
	// ScriptDir is where the script is installed on this host, for a
	// build on this host; "" for a VM build (its run folder is inside).
	ScriptDir string `json:"script_dir,omitempty"`
	// Request is the build request's builder.Project.RequestKey: another
	// build of the same request may join this one.
	Request string `json:"request,omitempty"`
	// Drv is what the build is building: the derivations its own
	// evaluation gave, blank-separated, as the script said them ("" while
	// it evaluates). A build of the same request joins this one only when
	// it evaluates to the same (app/join.go). It is kept beside the
	// marker (NoteDerivation), never in the locked file itself.
	Drv string `json:"-"`
}

func (s *Store) runningDir() string { return filepath.Join(s.StateDir, "running") }

// BeginBuild writes and locks the marker of a build; release it with
// EndBuild when the build is recorded.
func (s *Store) BeginBuild(m RunningMarker) (*Lock, error) {
	path := filepath.Join(s.runningDir(), m.Token+".json")
	l, ok, err := TryLock(path)
	if err != nil || !ok {
		return nil, fmt.Errorf("mark build as running: %v", err)
	}
	b, _ := json.Marshal(m)
	if _, err := l.f.WriteAt(b, 0); err != nil {
		l.Release()
		return nil, fmt.Errorf("mark build as running: %w", err)
	}
	return l, nil
}

// EndBuild removes the marker of a build that was recorded normally.
func (s *Store) EndBuild(token string, l *Lock) {
	if l == nil {
		return
	}
	_ = os.Remove(filepath.Join(s.runningDir(), token+".json"))
	_ = os.Remove(s.drvPath(token))
	l.Release()
}

// SweepKilled finds builds whose nixpass died before recording them,
// removes what they left (the temporary image file, the script's pid
// file), closes their log and records them in the history as cancelled
// ("the build was killed"). It returns the results it recorded. Builds
// still running (their marker locked) are left alone.
func (s *Store) SweepKilled() []builder.Result {
	ents, err := os.ReadDir(s.runningDir())
	if err != nil {
		return nil
	}
	var out []builder.Result
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(s.runningDir(), name)
		l, ok, err := TryLock(path)
		if err != nil || !ok {
			continue
		}
		b, _ := os.ReadFile(path)
		var m RunningMarker
		if json.Unmarshal(b, &m) == nil && m.Token != "" && m.Project != "" {
			out = append(out, s.recordKilled(m))
		}
		_ = os.Remove(path)
		_ = os.Remove(s.drvPath(strings.TrimSuffix(name, ".json")))
		l.Release()
	}
	return out
}

// killedMessage starts the message of a build recorded by SweepKilled.
const killedMessage = "the build was killed: "

// WasKilled says whether res is a build whose nixpass died before it
// finished (recorded by SweepKilled), rather than one cancelled.
func WasKilled(res *builder.Result) bool {
	return res.Kind == builder.KindCancelled && strings.HasPrefix(res.Message, killedMessage)
}

func (s *Store) recordKilled(m RunningMarker) builder.Result {
	if m.Output != "" {
		_ = os.Remove(filepath.Join(filepath.Dir(m.Output), "."+filepath.Base(m.Output)+".nixpass-tmp."+m.Token))
	}
	script.RemoveStalePid(m.ScriptDir, m.Token)
	res := builder.Result{
		Project: m.Project,
		Status:  builder.StatusFailed,
		Kind:    builder.KindCancelled,
		Output:  m.Output,
		Log:     m.Log,
		Started: m.Started,
		Message: fmt.Sprintf(killedMessage+"nixpass (pid %d) ended before it finished (killed, crashed or out of memory); its build was stopped with it", m.PID),
		Hint:    "nothing was changed: the last good image is untouched; build again with: " + shq.Join("nixpass", "build", m.Project),
	}
	res.Finished = time.Now()
	res.DurationMS = res.Finished.Sub(res.Started).Milliseconds()
	if m.Log != "" {
		if f, err := os.OpenFile(m.Log, os.O_WRONLY|os.O_APPEND, 0); err == nil {
			fmt.Fprintf(f, "\n# nixpass: %s (%s) %s\n# hint: %s\n", res.Status, res.Kind, res.Message, res.Hint)
			f.Close()
		}
	}
	rec, err := s.load(m.Project)
	if err == nil && (rec.Last == nil || !rec.Last.Started.After(m.Started)) {
		_ = s.Record(&res, nil)
	} else {
		_ = s.appendHistory(&res)
	}
	return res
}
