package build

import (
	"net/url"
	"regexp"
	"time"

	"nixpass/builder"
)

// reRetrying is Nix's warning before it retries a download: "warning:
// unable to download 'URL': REASON; retrying in N ms" (2.8), with an
// "error: " after "warning: " from 2.26 on.
var reRetrying = regexp.MustCompile(`^warning: (?:error: )?unable to download '([^']+)': (.+); retrying in \d+ ms`)

// networkDetail is what the progress line says when Nix starts retrying a
// download (line is one line of its log), or "" when line is not such a
// warning. Nix retries for seconds before it fails, and says nothing else
// meanwhile.
func networkDetail(line string) string {
	m := reRetrying.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	host := m[1]
	if u, err := url.Parse(m[1]); err == nil && u.Host != "" {
		host = u.Host
	}
	return "cannot reach " + host + " (" + m[2] + "): the network looks down; Nix retries before it gives up"
}

// noteNetwork shows the first retry warning of a build on its progress
// line, once.
func (r *run) noteNetwork(line string) {
	d := networkDetail(line)
	if d == "" {
		return
	}
	r.mu.Lock()
	said, phase := r.saidNetwork, r.phase
	r.saidNetwork = true
	r.mu.Unlock()
	if !said {
		r.b.emit(builder.BuildPhase{At: builder.At{Time: time.Now()}, Project: r.p.Dir, Phase: phase, Detail: d})
	}
}
