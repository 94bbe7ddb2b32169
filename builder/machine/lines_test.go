package machine

import (
	"strings"
	"testing"
)

func TestLineWriter(t *testing.T) {
	long := strings.Repeat("x", MaxLine)
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"lines across writes", []string{"a\nb", "c\r\n", "d"}, []string{"a", "bc", "d"}},
		{"empty lines", []string{"\n\n"}, []string{"", ""}},
		{"a line longer than MaxLine is cut", []string{long, "yyy", "zz\nnext\n"}, []string{long + " … (5 more bytes of this line left out)", "next"}},
		{"an endless line without newline", []string{long, strings.Repeat("y", 3*MaxLine)}, []string{long + " … (196608 more bytes of this line left out)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			w := &LineWriter{Fn: func(l string) { got = append(got, l) }}
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
				if len(w.buf) > MaxLine {
					t.Fatalf("buffer grew to %d bytes, want at most %d", len(w.buf), MaxLine)
				}
			}
			w.Flush()
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %d lines %.80q…, want %d lines %.80q…", len(got), got, len(tt.want), tt.want)
			}
		})
	}
}
