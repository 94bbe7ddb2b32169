package builder

import "time"

// Event is something the core did: a builder state change, a project state
// change, a build being queued, started, logging or finishing. Long work
// publishes events on one stream; the tray, the notifier and the CLI only
// consume them.
type Event interface {
	// When is the time the event happened.
	When() time.Time
}

// At is embedded in every event to carry its time.
type At struct {
	Time time.Time `json:"time"`
}

// When implements Event.
func (a At) When() time.Time { return a.Time }

// BuilderState is the coarse state of the builder machine, as the tray
// shows it.
type BuilderState string

// Builder states. Running means builds can start now; Stopped and
// Suspended mean the VM exists and will be started on demand; Missing means
// no VM exists; Unavailable means something the user must fix (Multipass
// not installed, daemon down, Nix missing).
const (
	BuilderUnknown     BuilderState = "unknown"
	BuilderRunning     BuilderState = "running"
	BuilderStarting    BuilderState = "starting"
	BuilderStopped     BuilderState = "stopped"
	BuilderSuspended   BuilderState = "suspended"
	BuilderMissing     BuilderState = "missing"
	BuilderDeleted     BuilderState = "deleted"
	BuilderUnavailable BuilderState = "unavailable"
)

// BuilderStatus describes the builder machine.
type BuilderStatus struct {
	// Backend is "multipass" or "local".
	Backend string       `json:"backend"`
	Name    string       `json:"name"`
	State   BuilderState `json:"state"`
	CPUs    int          `json:"cpus,omitempty"`
	// Memory and Disk are in bytes; 0 when unknown.
	Memory   int64  `json:"memory,omitempty"`
	Disk     int64  `json:"disk,omitempty"`
	DiskUsed int64  `json:"disk_used,omitempty"`
	Release  string `json:"release,omitempty"`
	// Problem and Hint explain an Unavailable (or otherwise unusable) state.
	Problem string `json:"problem,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

// ProjectState is what a watched project is doing.
type ProjectState string

// Project states.
const (
	ProjectIdle     ProjectState = "idle"
	ProjectQueued   ProjectState = "queued"
	ProjectBuilding ProjectState = "building"
	// ProjectMissing means the folder disappeared or became unreadable; it
	// is picked up again when it returns.
	ProjectMissing ProjectState = "missing"
)

// ProjectStatus is the tray's view of one registered project.
type ProjectStatus struct {
	Path       string       `json:"path"`
	Name       string       `json:"name"`
	Output     string       `json:"output"`
	Watch      bool         `json:"watch"`
	DockerLoad bool         `json:"docker_load"`
	State      ProjectState `json:"state"`
	// Problem explains a Missing state.
	Problem string `json:"problem,omitempty"`
	// Last is the last finished build, nil when it never built.
	Last *Result `json:"last,omitempty"`
	// Progress is what the running build is doing (its phase, and while
	// preparing, e.g. a first VM creation, the step).
	Progress string `json:"progress,omitempty"`
	// Since is when the running build started (zero when none runs).
	Since time.Time `json:"since,omitempty"`
}

// Snapshot is a consistent copy of everything the tray shows; the menu is
// derived from it alone.
type Snapshot struct {
	Builder  BuilderStatus   `json:"builder"`
	Projects []ProjectStatus `json:"projects"`
	// StartAtLogin says whether the login agent is installed.
	StartAtLogin bool `json:"start_at_login"`
	// ConfigProblem is the config edit not in force yet (nil when the file
	// parses).
	ConfigProblem *ConfigProblem `json:"config_problem,omitempty"`
}

// BuilderChanged reports a new builder status.
type BuilderChanged struct {
	At
	Status BuilderStatus `json:"status"`
}

// ProjectChanged reports a project's new state.
type ProjectChanged struct {
	At
	Project string       `json:"project"`
	State   ProjectState `json:"state"`
	Problem string       `json:"problem,omitempty"`
}

// BuildQueued reports that a build of Project is waiting for the builder.
type BuildQueued struct {
	At
	Project string `json:"project"`
	// Reason is what triggered it: "change", "manual", "restart", "added"
	// (registered while the app runs), "first build" (never built when
	// the app started), "last build killed" or "last build cancelled"
	// (its last build had not finished when the app started).
	Reason string `json:"reason"`
}

// BuildStarted reports that a build began.
type BuildStarted struct {
	At
	Project string `json:"project"`
	Log     string `json:"log"`
}

// BuildPhase reports a step of a build: "preparing", "evaluating",
// "building", "copying", "loading", "uploading" (to the team cache).
type BuildPhase struct {
	At
	Project string `json:"project"`
	Phase   string `json:"phase"`
	// Detail is what the phase is doing now, when it takes long enough to
	// say: "creating the builder VM …", a launch's download progress.
	Detail string `json:"detail,omitempty"`
}

// BuildLog carries one line of the Nix log.
type BuildLog struct {
	At
	Project string `json:"project"`
	Line    string `json:"line"`
}

// BuildFinished reports a build's result.
type BuildFinished struct {
	At
	Result Result `json:"result"`
}

// ConfigProblem reports a config file that was not (re)loaded: it does not
// parse, or it is empty; the last good config stays in force.
type ConfigProblem struct {
	At
	Path    string `json:"path"`
	Message string `json:"message"`
	// Line and Key locate the problem when known (0 and "" otherwise);
	// Reason is what is wrong there, without the file and the position.
	Line   int    `json:"line,omitempty"`
	Key    string `json:"key,omitempty"`
	Reason string `json:"reason,omitempty"`
}
