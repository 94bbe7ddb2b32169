package cache

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/nix-cache-info" {
			w.Write([]byte("StoreDir: /nix/store\n"))
			return
		}
		http.NotFound(w, r)
	}))
	defer up.Close()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String()
	l.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "nix-cache-info"), []byte("StoreDir: /nix/store\n"), 0o644)

	old := ProbeTimeout
	ProbeTimeout = 300 * time.Millisecond
	defer func() { ProbeTimeout = old }()
	tests := []struct {
		url  string
		want string // part of the error; "" for none
	}{
		{up.URL + "/?priority=30", ""},
		{"file://" + dir, ""},
		{"s3://bucket", ""},
		{down, "does not answer"},
		{hang.URL, "does not answer"},
		{up.URL + "/sub", "404"},
		{"file://" + filepath.Join(dir, "none"), "is not there"},
	}
	for _, tt := range tests {
		start := time.Now()
		err := Probe(context.Background(), tt.url)
		took := time.Since(start)
		switch {
		case tt.want == "" && err != nil, tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Probe(%s) = %v, want %q", tt.url, err, tt.want)
		case took > time.Second:
			t.Errorf("Probe(%s) took %s, want at most the probe timeout", tt.url, took)
		}
	}
}
