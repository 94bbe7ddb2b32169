package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"nixpass/builder"
	"nixpass/builder/clean"
	"nixpass/builder/tools"
)

// statusReport is `nixpass status --json`.
type statusReport struct {
	Config  string                `json:"config"`
	Builder builder.BuilderStatus `json:"builder"`
	// Tools are the external commands this config uses, as resolved.
	Tools    []tools.Found           `json:"tools"`
	Projects []builder.ProjectStatus `json:"projects"`
}

func cmdStatus(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("status")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := c.parseArgs(fs, args, 0, 0); !ok {
		return code
	}
	e, err := c.load()
	if err != nil {
		return c.fail(err)
	}
	rep := statusReport{Config: e.Path, Builder: e.Machine.Status(ctx), Projects: []builder.ProjectStatus{}}
	finder := tools.Default()
	if e.VM != nil {
		rep.Tools = append(rep.Tools, finder.Report("multipass", e.Config.Builder.Multipass))
	}
	rep.Tools = append(rep.Tools, finder.Report("docker", e.Config.Docker.Command))
	for _, p := range e.Config.Projects {
		p = p.WithDefaults()
		last, _ := e.Store.Last(p.Path)
		ps := builder.ProjectStatus{Path: p.Path, Name: p.Name(), Output: p.OutputPath(),
			Watch: p.Watching(), DockerLoad: p.DockerLoad, State: builder.ProjectIdle, Last: last}
		if st, err := os.Stat(p.Path); err != nil || !st.IsDir() {
			ps.State, ps.Problem = builder.ProjectMissing, "the project folder is gone or is no longer a folder"
		} else if ms := e.Store.Interrupted(p.Path); len(ms) > 0 {
			// Read only: the next build or app start records it.
			m := ms[len(ms)-1]
			ps.Problem = fmt.Sprintf("a build started %s was interrupted: nixpass (pid %d) ended before it finished; the next build records it",
				m.Started.Local().Format(time.DateTime), m.PID)
		}
		rep.Projects = append(rep.Projects, ps)
	}
	// Like build, status exits 6 when the builder cannot be used, so a
	// script can check before it builds.
	code := 0
	if rep.Builder.State == builder.BuilderUnavailable {
		code = builder.KindUnavailable.ExitCode()
	}
	if *asJSON {
		c.printJSON(rep)
		return code
	}
	printBuilder(c.stdout, rep.Builder)
	for _, t := range rep.Tools {
		if t.Path != "" {
			fmt.Fprintf(c.stdout, "  %s: %s\n", t.Tool, t.Path)
		} else {
			fmt.Fprintf(c.stdout, "  %s: %s\n", t.Tool, t.Problem)
		}
	}
	for _, p := range rep.Projects {
		fmt.Fprintf(c.stdout, "%s\n    %s\n", clean.Line(p.Path), lastLine(p.Last))
		if p.State == builder.ProjectMissing {
			fmt.Fprintf(c.stdout, "    missing: %s\n", p.Problem)
		} else if p.Problem != "" {
			fmt.Fprintf(c.stdout, "    ✗ %s\n", p.Problem)
		}
	}
	if len(rep.Projects) == 0 {
		fmt.Fprintln(c.stdout, "no projects yet: nixpass add DIR")
	}
	return code
}

func printBuilder(w io.Writer, st builder.BuilderStatus) {
	fmt.Fprintf(w, "builder: %s (%s) %s", st.Name, st.Backend, st.State)
	if st.CPUs > 0 {
		fmt.Fprintf(w, " · %d CPUs", st.CPUs)
	}
	if st.Memory > 0 {
		fmt.Fprintf(w, " · %s memory", builder.HumanGiB(st.Memory))
	}
	if st.Disk > 0 {
		fmt.Fprintf(w, " · %s of %s disk used", builder.HumanBytes(st.DiskUsed), builder.HumanBytes(st.Disk))
	}
	fmt.Fprintln(w)
	if st.Problem != "" {
		fmt.Fprintf(w, "  %s\n", st.Problem)
	}
	if st.Hint != "" {
		fmt.Fprintf(w, "  → %s\n", st.Hint)
	}
}

func lastLine(r *builder.Result) string {
	if r == nil {
		return "never built"
	}
	at := r.Finished.Local().Format(time.DateTime)
	if r.Succeeded() {
		image := clean.Line(r.Image) // the image's manifest names it
		if r.Platform != "" {
			image += " (" + clean.Line(r.Platform) + ")"
		}
		return fmt.Sprintf("✓ %s · %s · %s · %s", at, image, builder.HumanBytes(r.Bytes), r.Duration().Round(time.Second))
	}
	return fmt.Sprintf("✗ %s · %s: %s", at, r.Kind.Title(), clean.Line(firstLineOf(r.Message)))
}

func firstLineOf(s string) string {
	for i, ch := range s {
		if ch == '\n' {
			return s[:i]
		}
	}
	return s
}
