package runner

import (
	"context"
	"io"
	"strings"
	"testing"
)

// A streamed output is not also kept whole: Result holds its end.
func TestRunStreamedCaptureKeepsTail(t *testing.T) {
	res, err := Exec{}.Run(context.Background(), Cmd{Name: "sh",
		Args:   []string{"-c", `yes 0123456789 | head -c 1000000; echo; echo last-line`},
		Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Stdout); got != StreamedCapture {
		t.Errorf("kept %d bytes of a streamed 1 MB output, want %d", got, StreamedCapture)
	}
	if !strings.HasSuffix(string(res.Stdout), "\nlast-line\n") {
		t.Errorf("capture does not end with the output's end: %q", string(res.Stdout[len(res.Stdout)-40:]))
	}
}

func TestTailBuffer(t *testing.T) {
	tests := []struct {
		writes []string
		want   string
	}{
		{[]string{"ab", "cd"}, "abcd"},
		{[]string{"abc", "def"}, "cdef"},
		{[]string{"abcdefgh"}, "efgh"},
		{[]string{"a", "bcdefgh", "i"}, "fghi"},
	}
	for _, tt := range tests {
		b := &tailBuffer{max: 4}
		for _, w := range tt.writes {
			if n, _ := b.Write([]byte(w)); n != len(w) {
				t.Errorf("Write(%q) = %d", w, n)
			}
		}
		if got := b.String(); got != tt.want {
			t.Errorf("writes %q: got %q, want %q", tt.writes, got, tt.want)
		}
	}
}
