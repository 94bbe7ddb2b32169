package diagnose

import (
	"os"
	"strings"
	"testing"

	"nixpass/builder"
)

// BenchmarkDiagnoseBigLog: a 2 MiB build log (the most nixpass keeps)
// ending in a real 2.34 build failure.
func BenchmarkDiagnoseBigLog(b *testing.B) {
	tail, err := os.ReadFile("testdata/2.34/build-exit.txt")
	if err != nil {
		b.Fatal(err)
	}
	line := "[ 42%] Building CXX object src/CMakeFiles/core.dir/some/long/path/file.cpp.o\n"
	log := strings.Repeat(line, (2<<20)/len(line)) + string(tail)
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		if d := Diagnose(log, Evidence{}); d.Kind != builder.KindBuild {
			b.Fatalf("kind %s", d.Kind)
		}
	}
}
