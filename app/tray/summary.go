package tray

import (
	"fmt"
	"path/filepath"
	"strings"

	"nixpass/app/human"
	"nixpass/builder"
)

// configLine names the config problem: the file, the line and the key.
func configLine(cp *builder.ConfigProblem) string {
	if cp == nil {
		return ""
	}
	return "⚠ " + human.Cut(ConfigWhere(cp)+": "+cp.Reason, lineMax)
}

// ConfigWhere is "config.toml line 12, vm.memory" (what is known of it).
func ConfigWhere(cp *builder.ConfigProblem) string {
	w := filepath.Base(cp.Path)
	if cp.Line > 0 {
		w += fmt.Sprintf(" line %d", cp.Line)
	}
	if cp.Key != "" {
		w += ", " + cp.Key
	}
	return w
}

// Summary is the tooltip: "nixpass — 1 failing: broken (syntax error)",
// "nixpass — building api", "nixpass — 3 projects built".
func Summary(s builder.Snapshot) string {
	var failing, building []string
	for _, p := range s.Projects {
		name := NameOf(s, p.Path)
		switch {
		case p.State == builder.ProjectBuilding:
			building = append(building, name)
		case p.State == builder.ProjectMissing:
			failing = append(failing, name+" (folder missing)")
		case Failed(p.Last):
			failing = append(failing, name+" ("+p.Last.Kind.Title()+")")
		}
	}
	var parts []string
	if s.Builder.State == builder.BuilderUnavailable {
		parts = append(parts, "builder unavailable")
	}
	if s.ConfigProblem != nil {
		parts = append(parts, "config not reloaded")
	}
	if len(failing) > 0 {
		parts = append(parts, fmt.Sprintf("%d failing: %s", len(failing), strings.Join(failing, ", ")))
	}
	if len(building) > 0 {
		parts = append(parts, "building "+strings.Join(building, ", "))
	}
	if len(parts) == 0 {
		switch n := len(s.Projects); n {
		case 0:
			parts = append(parts, "no projects yet")
		case 1:
			parts = append(parts, "1 project, all good")
		default:
			parts = append(parts, fmt.Sprintf("%d projects, all good", n))
		}
	}
	return human.Cut("nixpass — "+strings.Join(parts, "; "), 120)
}
