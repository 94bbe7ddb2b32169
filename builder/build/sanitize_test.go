package build

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"nixpass/builder"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\n\twith tab", "plain text\n\twith tab"},
		{"a\x00b\x01c\x7fd", "abcd"},
		{"\x1b[31;1merror:\x1b[0m bad", "error: bad"},
		{"\x1b]0;title\x07after", "after"},
		{"progress\rover", "progress over"},
		{"crlf\r\nline", "crlf\nline"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"c1 \u009b here", "c1  here"},
		{"unicode ✓ stays", "unicode ✓ stays"},
	} {
		if got := cleanText(tc.in); got != tc.want {
			t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestBuildMessageFromNix28Blob: Nix 2.8's serialized error (NULs and
// length prefixes, from builder = "/nonexistent/false" without the
// sandbox) reaches the message as its text, without control bytes.
func TestBuildMessageFromNix28Blob(t *testing.T) {
	b, err := os.ReadFile("../testdata/nix/2.8-exec-error-blob.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\x00") {
		t.Fatal("the sample lost its NUL bytes")
	}
	got := cleanText(string(b))
	if !strings.Contains(got, "executing '/nonexistent/false': No such file or directory") {
		t.Errorf("the text was lost: %q", got)
	}
	for _, r := range got {
		if r < 0x20 && r != '\n' && r != '\t' {
			t.Fatalf("control byte %#x left in %q", r, got)
		}
	}
}

// blobMachine is a machine.Machine whose build prints the Nix 2.8 sample and fails.
type blobMachine struct{ log []byte }

func (blobMachine) Describe() string { return "blob" }
func (blobMachine) Prepare(ctx context.Context, dir string, progress func(string)) (string, error) {
	return dir, nil
}
func (m blobMachine) RunScript(ctx context.Context, token string, args []string, stdout, stderr io.Writer) (int, error) {
	_, _ = stderr.Write(m.log)
	return 100, nil
}
func (blobMachine) Status(ctx context.Context) builder.BuilderStatus { return builder.BuilderStatus{} }

func TestBuildResultHasNoControlBytes(t *testing.T) {
	b, err := os.ReadFile("../testdata/nix/2.8-exec-error-blob.txt")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	bl := &Builder{Machine: blobMachine{b}, Emit: func(e builder.Event) {
		if l, ok := e.(builder.BuildLog); ok {
			lines = append(lines, l.Line)
		}
	}}
	res := bl.Build(context.Background(), builder.Project{Dir: t.TempDir(), File: "default.nix", Output: "result.tar.gz"})
	for _, s := range append(lines, res.Message, res.Hint) {
		if strings.ContainsAny(s, "\x00\x01\x05") {
			t.Errorf("control bytes reach the user: %q", s)
		}
	}
	if !strings.Contains(res.Message+strings.Join(lines, "\n"), "No such file or directory") {
		t.Errorf("the error's text was lost: %q", res.Message)
	}
}
