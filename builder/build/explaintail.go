package build

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"

	"nixpass/builder/diagnose"
	"nixpass/builder/machine"
)

// explainTail is how much of a log's end ExplainReader diagnoses: the
// same 2 MiB a build keeps of Nix's log (nixTailBytes).
var explainTail = nixTailBytes

// evidencePrefixes start the lines nixpass writes into a build log about
// the kernel and memory (the script's OOM evidence, see oom.go): kept
// wherever they are in the log, for a diagnosis needs them however long
// Nix's output after them was.
// They are the protocol lines the OOM rule reads (oomKeys), as the build
// wrote them.
var evidencePrefixes = func() [][]byte {
	var out [][]byte
	for k := range oomKeys {
		out = append(out, []byte("# "+k+" "))
	}
	return out
}()

// maxEvidence bounds the evidence lines kept from before the tail.
const maxEvidence = 4096

// ExplainReader is Explain for a log of any size, read as a stream in
// constant memory: its verdict is Explain's on the log's last 2 MiB (from
// a line start) preceded by nixpass's own kernel-evidence lines from
// before them.
func ExplainReader(ctx context.Context, m machine.Machine, r io.Reader) (diagnose.Diagnosis, error) {
	text, err := logTail(r, explainTail)
	if err != nil {
		return diagnose.Diagnosis{}, err
	}
	return Explain(ctx, m, string(text)), nil
}

// logTail reads r to its end and returns the evidence lines before its
// last max bytes (cut at a line start) followed by those bytes.
func logTail(r io.Reader, max int) ([]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var evidence [][]byte
	tail := make([]byte, 0, 2*max+(64<<10))
	// drop moves tail's bytes before the last max, from a line start, out
	// of the window, keeping the evidence lines among them.
	drop := func() {
		cut := len(tail) - max
		if cut <= 0 {
			return
		}
		if i := bytes.IndexByte(tail[cut:], '\n'); i >= 0 {
			cut += i + 1
		} else {
			cut = len(tail)
		}
		for _, line := range bytes.SplitAfter(tail[:cut], []byte("\n")) {
			if len(evidence) < maxEvidence && isEvidence(line) {
				evidence = append(evidence, append([]byte(nil), line...))
			}
		}
		tail = tail[:copy(tail, tail[cut:])]
	}
	for {
		chunk, err := br.ReadSlice('\n')
		tail = append(tail, chunk...)
		if len(tail) > 2*max {
			drop()
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
	drop()
	out := bytes.Join(evidence, nil)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, tail...), nil
}

func isEvidence(line []byte) bool {
	for _, p := range evidencePrefixes {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	return false
}
