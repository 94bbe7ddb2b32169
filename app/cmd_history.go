package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"nixpass/builder"
)

// historyReport is `nixpass history --json`: one project's builds, newest
// first.
type historyReport struct {
	Project string         `json:"project"`
	Builds  []historyBuild `json:"builds"`
}

// historyBuild is one build in historyReport.
type historyBuild struct {
	Started    time.Time    `json:"started"`
	Status     string       `json:"status"`
	Kind       builder.Kind `json:"kind"`
	DurationMS int64        `json:"duration_ms"`
	UpToDate   bool         `json:"up_to_date"`
	Image      string       `json:"image,omitempty"`
	Platform   string       `json:"platform,omitempty"`
	Message    string       `json:"message,omitempty"`
	Log        string       `json:"log,omitempty"`
	// Push is the build's push object (with error when it failed).
	Push *builder.PushResult `json:"push,omitempty"`
	// Cache is the build's upload to the team cache, when one ran.
	Cache *builder.CacheUpload `json:"cache,omitempty"`
}

func cmdHistory(c *cli, ctx context.Context, args []string) int {
	fs := c.flags("history")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, code, ok := c.parseArgs(fs, args, 0, 1)
	if !ok {
		return code
	}
	dir, err := absDir(firstOr(pos, ""))
	if err != nil {
		return c.fail(err)
	}
	e, err := c.load()
	if err != nil {
		return c.fail(err)
	}
	builds, err := e.Store.ProjectHistory(dir)
	if err != nil {
		return c.fail(err)
	}
	rep := historyReport{Project: dir, Builds: []historyBuild{}}
	for _, r := range builds {
		b := historyBuild{Started: r.Started, Status: r.Status, Kind: r.Kind, DurationMS: r.DurationMS,
			UpToDate: r.UpToDate, Image: r.Image, Platform: r.Platform, Log: r.Log, Push: r.Push, Cache: r.Cache}
		if !r.Succeeded() {
			b.Message = firstLineOf(r.Message)
		}
		rep.Builds = append(rep.Builds, b)
	}
	if *asJSON {
		c.printJSON(rep)
		return 0
	}
	if len(rep.Builds) == 0 {
		fmt.Fprintf(c.stdout, "no builds of %s yet\n", dir)
		return 0
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tRESULT\tTOOK\tIMAGE")
	for _, b := range rep.Builds {
		result := "✓ built"
		if b.UpToDate {
			result = "✓ up to date"
		}
		image := b.Image
		if b.Platform != "" {
			image += " (" + b.Platform + ")"
		}
		if b.Push != nil && b.Push.Error == "" && b.Push.Digest != "" {
			image += ", pushed " + b.Push.Short()
		}
		if b.Cache != nil && b.Cache.Error == "" && b.Cache.Paths > 0 {
			image += fmt.Sprintf("; uploaded %d path(s) to %s", b.Cache.Paths, b.Cache.URL)
		}
		if b.Status != builder.StatusSucceeded {
			result, image = "✗ "+b.Kind.Title(), b.Message
		}
		took := (time.Duration(b.DurationMS) * time.Millisecond).Round(100 * time.Millisecond)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Started.Local().Format(time.DateTime), result, took, image)
	}
	tw.Flush()
	return 0
}
