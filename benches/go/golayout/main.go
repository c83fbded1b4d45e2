// Command golayout times Go 1.19's own go/parser on the standard library
// tree, the peer of golayout's parse_file (benches/benches/golayout.rs), and
// prints a row in the harness's TSV format with subject "go1.19".
package main

import (
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

var quick = flag.Bool("quick", false, "fewer repetitions")

func main() {
	flag.Parse()
	if os.Getenv("GORT_BENCH_QUICK") == "1" {
		*quick = true
	}
	src := filepath.Join(runtime.GOROOT(), "src")
	if real, err := filepath.EvalSymlinks(src); err == nil {
		src = real // Debian's $GOROOT/src is a symlink, which WalkDir would not enter.
	}
	var texts [][]byte
	var names []string
	total := 0
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() && p != src && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") {
			b, err := os.ReadFile(p)
			if err == nil {
				texts = append(texts, b)
				names = append(names, p)
				total += len(b)
			}
		}
		return nil
	})
	reps := 5
	if *quick {
		reps = 2
	}
	best := time.Duration(1<<63 - 1)
	for r := 0; r < reps; r++ {
		fset := token.NewFileSet()
		t := time.Now()
		for i, b := range texts {
			parser.ParseFile(fset, names[i], b, parser.SkipObjectResolution|parser.ParseComments)
		}
		if d := time.Since(t); d < best {
			best = d
		}
	}
	fmt.Printf("golayout\t%s\t%s\t%g\t%s\t%s\n", "parse Go 1.19 stdlib (MB/s)", "go1.19", float64(total)/best.Seconds()/1e6, "MB/s", "higher")

	// `go vet std`, the peer of `golayout --check std`: the default vet
	// analyzers over the same packages (fieldalignment itself is not part
	// of cmd/vet). The first run fills the build cache; the best of the
	// runs after it is reported, as the golayout side reports its best.
	vetReps := 2
	if *quick {
		vetReps = 1
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	vet := func() time.Duration {
		cmd := exec.Command(goBin, "vet", "std")
		cmd.Env = append(os.Environ(), "GOARCH=amd64", "GOFLAGS=")
		t := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil && len(out) == 0 {
			fmt.Fprintln(os.Stderr, "go vet std:", err)
		}
		return time.Since(t)
	}
	vet()
	bestVet := time.Duration(1<<63 - 1)
	for r := 0; r < vetReps; r++ {
		if d := vet(); d < bestVet {
			bestVet = d
		}
	}
	fmt.Printf("golayout\t%s\t%s\t%g\t%s\t%s\n", "check std, amd64 (s)", "go vet std", bestVet.Seconds(), "s", "lower")
}
