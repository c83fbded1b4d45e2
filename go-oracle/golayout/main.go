// Command golayout is the oracle for the golayout crate: it generates random
// Go struct types (every kind of field the crate models: basic types,
// strings, pointers, unsafe.Pointer, slices, maps, channels, funcs,
// interfaces, arrays with constant lengths, nested anonymous structs,
// embedded fields, zero-size fields first, in the middle and last, and
// standard-library types), builds one program per GOARCH with the Go 1.19
// toolchain, runs it (natively for 386/amd64, under qemu-user for the
// others, under Node.js for wasm) and writes what unsafe.Sizeof, Alignof and
// Offsetof report. The output is the golden-file format read by
// crates/golayout/tests/go_oracle.rs:
//
//	# comment lines
//	-- source --
//	<the Go source of the types>
//	-- arch 386 --
//	T0 <size> <align>
//	T0.f0 <offset> <size> <align>
//	...
//	-- end --
//
// Usage: go run . -seed 1 -n 300 -arches 386,amd64,arm,arm64 -out FILE
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

var (
	seed    = flag.Int64("seed", 1, "random seed")
	n       = flag.Int("n", 300, "number of random struct types")
	arches  = flag.String("arches", "386,amd64,arm,arm64", "comma-separated GOARCHes")
	out     = flag.String("out", "", "output file (default stdout)")
	goBin   = flag.String("go", "", "go binary (default $GORT_GO, else go)")
	fixed   = flag.Bool("fixed", true, "include the fixed probe types of the spec")
	keepDir = flag.Bool("keep", false, "keep the temporary build directory")
)

// qemu names the qemu-user binary for each non-native GOARCH.
var qemu = map[string]string{
	"arm": "qemu-arm", "arm64": "qemu-aarch64", "mips": "qemu-mips", "mipsle": "qemu-mipsel",
	"mips64": "qemu-mips64", "mips64le": "qemu-mips64el", "ppc64": "qemu-ppc64", "ppc64le": "qemu-ppc64le",
	"riscv64": "qemu-riscv64", "s390x": "qemu-s390x", "loong64": "qemu-loongarch64",
}

var basics = []string{"bool", "int8", "uint8", "byte", "int16", "uint16", "int32", "rune", "uint32", "float32",
	"int64", "uint64", "float64", "complex64", "complex128", "int", "uint", "uintptr", "string"}

var refs = []string{"*int", "*string", "unsafe.Pointer", "[]int16", "[]string", "map[string]int", "chan int",
	"<-chan bool", "chan<- struct{}", "func(int) error", "func()", "interface{}", "any", "error",
	"interface{ M() int }", "*struct{ x int8 }"}

var stdlib = []string{"sync.Mutex", "sync.RWMutex", "sync.WaitGroup", "sync.Once", "sync.Map", "sync.Cond",
	"sync.Pool", "time.Time", "time.Duration", "time.Timer", "context.Context", "atomic.Int32", "atomic.Int64",
	"atomic.Uint32", "atomic.Uint64", "atomic.Uintptr", "atomic.Bool", "atomic.Value", "atomic.Pointer[int]",
	"strings.Builder", "bytes.Buffer", "sync.Locker", "context.CancelFunc", "time.Month"}

var zeros = []string{"struct{}", "[0]int64", "[0]complex128", "[3]struct{}", "[2][0]int32", "struct{ _ struct{} }", "[0]string"}

var lengths = []string{"0", "1", "2", "3", "c1", "c2", "c3", "N5", "M", "len(\"ab\")", "c3 - c1", "(c2 + 1) * 2"}

type gen struct {
	r       *rand.Rand
	structs []string // named struct types defined so far
	named   []string // all named types defined so far
}

func (g *gen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }

func (g *gen) typ(depth int) string {
	switch k := g.r.Intn(100); {
	case k < 35:
		return g.pick(basics)
	case k < 50:
		return g.pick(refs)
	case k < 62:
		return g.pick(stdlib)
	case k < 68:
		return g.pick(zeros)
	case k < 80 && depth < 3:
		return "[" + g.pick(lengths) + "]" + g.typ(depth+1)
	case k < 88 && depth < 2:
		var b strings.Builder
		b.WriteString("struct{ ")
		m := g.r.Intn(4)
		for i := 0; i < m; i++ {
			fmt.Fprintf(&b, "x%d %s; ", i, g.typ(depth+1))
		}
		b.WriteString("}")
		return b.String()
	case len(g.named) > 0:
		return g.pick(g.named)
	default:
		return g.pick(basics)
	}
}

// structType writes the body of a random struct; zero-size fields go first,
// in the middle or last on purpose.
func (g *gen) structType(b *strings.Builder) []string {
	nf := g.r.Intn(9)
	var fields []string
	used := map[string]bool{}
	zeroAt := -1
	if nf > 0 && g.r.Intn(3) == 0 {
		switch g.r.Intn(3) {
		case 0:
			zeroAt = 0
		case 1:
			zeroAt = nf / 2
		default:
			zeroAt = nf - 1
		}
	}
	b.WriteString("struct {\n")
	for i := 0; i < nf; i++ {
		name := fmt.Sprintf("f%d", i)
		switch {
		case i == zeroAt:
			fmt.Fprintf(b, "\t%s %s\n", name, g.pick(zeros))
		case g.r.Intn(10) == 0:
			// An embedded field, named by its type.
			cands := append([]string{"sync.Mutex", "atomic.Int64", "time.Duration", "context.Context", "error"}, g.structs...)
			e := g.pick(cands)
			star := ""
			if g.r.Intn(3) == 0 && e != "context.Context" && e != "error" {
				star = "*"
			}
			short := e[strings.LastIndex(e, ".")+1:]
			if used[short] {
				fmt.Fprintf(b, "\t%s %s\n", name, e)
				break
			}
			used[short] = true
			name = short
			fmt.Fprintf(b, "\t%s%s // embedded\n", star, e)
		case g.r.Intn(8) == 0 && i+1 < nf && i+1 != zeroAt:
			// Two names, one type, with a tag.
			t := g.typ(0)
			fmt.Fprintf(b, "\t%s, f%d %s `json:\"%s,omitempty\"`\n", name, i+1, t, name)
			fields = append(fields, name)
			i++
			name = fmt.Sprintf("f%d", i)
		default:
			fmt.Fprintf(b, "\t%s %s\n", name, g.typ(0))
		}
		fields = append(fields, name)
	}
	b.WriteString("}")
	return fields
}

type decl struct {
	name   string
	fields []string // nil for non-structs
}

const header = `package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

var (
	_ bytes.Buffer
	_ context.Context
	_ strings.Builder
	_ sync.Mutex
	_ atomic.Int64
	_ time.Time
	_ unsafe.Pointer
)

// Constants for array lengths: iota, implicit repetition, arithmetic.
const (
	c0 = iota
	c1
	c2
	c3
	N5 = c2*2 + 1
	M  = 1 << 2 >> 1
)

`

// probes are the struct probes of the spec (layout.md), by name.
var probes = []struct{ name, body string }{
	{"PInt8Int64", "struct{ A int8; B int64 }"},
	{"PInt64Int8", "struct{ A int64; B int8 }"},
	{"PTrailingZero", "struct{ A int32; Z struct{} }"},
	{"PLeadingZero", "struct{ Z struct{}; A int32 }"},
	{"PZeroArray", "struct{ A int8; Z [0]int64 }"},
	{"PComplex64", "struct{ A int8; B complex64 }"},
	{"PComplex128", "struct{ A int8; B complex128 }"},
	{"PFloat64", "struct{ A int8; B float64 }"},
	{"PAtomicInt64", "struct{ A int8; B atomic.Int64 }"},
	{"PAtomicUint64", "struct{ A int8; B atomic.Uint64 }"},
	{"PWaitGroup", "struct{ A int32; B sync.WaitGroup }"},
	{"PBoolInt16Bool", "struct{ A bool; B int16; C bool }"},
	{"PInt8x3", "struct{ A, B, C int8 }"},
	{"PNested", "struct{ A int8; N struct{ X int16; Y int8 }; B int8 }"},
	{"PString", "struct{ A int8; S string }"},
	{"PAny", "struct{ A int8; I any }"},
	{"PSlice", "struct{ A int8; S []byte }"},
	{"PPtr", "struct{ A int8; P *int }"},
	{"PArray", "struct{ A int8; R [3]int64 }"},
	{"Demo1", "struct{ a int8; b int16; c int32 }"},
	{"Demo2", "struct{ a int8; c int32; b int16 }"},
	{"Demo3", "struct{ c int32; a struct{} }"},
	{"PStd", "struct{ mu sync.Mutex; rw sync.RWMutex; wg sync.WaitGroup; once sync.Once; m sync.Map; c sync.Cond; p sync.Pool; t time.Time; d time.Duration; tm time.Timer; ctx context.Context; v atomic.Value; b atomic.Bool; u atomic.Uintptr; ap atomic.Pointer[int]; sb strings.Builder; bb bytes.Buffer }"},
}

func generate(r *rand.Rand, count int, withFixed bool) (string, []decl) {
	var b strings.Builder
	b.WriteString(header)
	var decls []decl
	if withFixed {
		b.WriteString("type (\n")
		for _, p := range probes {
			fmt.Fprintf(&b, "\t%s %s\n", p.name, p.body)
		}
		b.WriteString(")\n\n")
		for _, p := range probes {
			decls = append(decls, decl{p.name, probeFields(p.body)})
		}
		b.WriteString("type PArr2 [2]PInt64Int8\n\n")
		decls = append(decls, decl{"PArr2", nil})
	}
	g := &gen{r: r}
	for i := 0; i < count; i++ {
		name := fmt.Sprintf("T%d", i)
		if r.Intn(8) == 0 {
			// A named non-struct type.
			fmt.Fprintf(&b, "type %s %s\n\n", name, g.typ(1))
			decls = append(decls, decl{name, nil})
			g.named = append(g.named, name)
			continue
		}
		fmt.Fprintf(&b, "// %s is random struct number %d.\ntype %s ", name, i, name)
		fields := g.structType(&b)
		b.WriteString("\n\n")
		decls = append(decls, decl{name, fields})
		g.structs = append(g.structs, name)
		g.named = append(g.named, name)
	}
	return b.String(), decls
}

// probeFields lists the top-level field names of a one-line struct literal.
func probeFields(body string) []string {
	inner := strings.TrimSuffix(strings.TrimPrefix(body, "struct{"), "}")
	var names []string
	depth := 0
	start := 0
	var parts []string
	for i, c := range inner {
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ';':
			if depth == 0 {
				parts = append(parts, inner[start:i])
				start = i + 1
			}
		}
	}
	parts = append(parts, inner[start:])
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		// "A, B, C int8" or "A int8"
		sp := strings.IndexAny(p, " \t")
		head := p[:sp]
		for strings.HasSuffix(head, ",") {
			names = append(names, strings.TrimSuffix(head, ","))
			p = strings.TrimSpace(p[sp:])
			sp = strings.IndexAny(p, " \t")
			head = p[:sp]
		}
		names = append(names, head)
	}
	return names
}

func mainProgram(decls []decl) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"unsafe\"\n)\n\nfunc main() {\n")
	for i, d := range decls {
		v := fmt.Sprintf("v%d", i)
		fmt.Fprintf(&b, "\tvar %s %s\n\tfmt.Println(%q, unsafe.Sizeof(%s), unsafe.Alignof(%s))\n", v, d.name, d.name, v, v)
		for _, f := range d.fields {
			fmt.Fprintf(&b, "\tfmt.Println(%q, unsafe.Offsetof(%s.%s), unsafe.Sizeof(%s.%s), unsafe.Alignof(%s.%s))\n",
				d.name+"."+f, v, f, v, f, v, f)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func run(dir, goBin, arch string) (string, error) {
	exe := filepath.Join(dir, "prog-"+arch)
	goos := "linux"
	if arch == "wasm" {
		goos = "js"
		exe += ".wasm"
	}
	build := exec.Command(goBin, "build", "-o", exe, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+arch, "CGO_ENABLED=0", "GOARM=7", "GOMIPS=softfloat",
		"GOMIPS64=softfloat", "GOFLAGS=", "GO111MODULE=on", "GOTOOLCHAIN=local")
	var berr bytes.Buffer
	build.Stderr = &berr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build for %s: %v\n%s", arch, err, berr.String())
	}
	var cmd *exec.Cmd
	switch {
	case arch == runtime.GOARCH || (arch == "386" && runtime.GOARCH == "amd64"):
		cmd = exec.Command(exe)
	case arch == "wasm":
		node, err := exec.LookPath("node")
		if err != nil {
			return "", fmt.Errorf("wasm needs Node.js: apt-get install -y nodejs")
		}
		goroot, err := exec.Command(goBin, "env", "GOROOT").Output()
		if err != nil {
			return "", err
		}
		// Go 1.19's wasm_exec_node.js assigns globalThis.crypto, which
		// Node.js >= 19 forbids; this launcher does the same setup safely.
		launcher := filepath.Join(dir, "run_wasm.js")
		js := strings.ReplaceAll(wasmLauncher, "GOROOT_WASM_EXEC", filepath.Join(strings.TrimSpace(string(goroot)), "misc", "wasm", "wasm_exec.js"))
		if err := os.WriteFile(launcher, []byte(js), 0o644); err != nil {
			return "", err
		}
		cmd = exec.Command(node, launcher, exe)
	default:
		q, ok := qemu[arch]
		if !ok {
			return "", fmt.Errorf("no way to run GOARCH=%s", arch)
		}
		path, err := exec.LookPath(q)
		if err != nil {
			return "", fmt.Errorf("running GOARCH=%s binaries needs %s: apt-get install -y qemu-user", arch, q)
		}
		cmd = exec.Command(path, exe)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("running the %s program: %v\n%s", arch, err, stderr.String())
	}
	return stdout.String(), nil
}

func main() {
	flag.Parse()
	gob := *goBin
	if gob == "" {
		gob = os.Getenv("GORT_GO")
	}
	if gob == "" {
		gob = "go"
	}
	src, decls := generate(rand.New(rand.NewSource(*seed)), *n, *fixed)
	dir, err := os.MkdirTemp("", "golayout-oracle-")
	if err != nil {
		fail(err)
	}
	if !*keepDir {
		defer os.RemoveAll(dir)
	}
	files := map[string]string{
		"go.mod":   "module oracle\n\ngo 1.19\n",
		"types.go": src,
		"main.go":  mainProgram(decls),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			fail(err)
		}
	}
	archList := strings.Split(*arches, ",")
	results := make([]string, len(archList))
	errs := make([]error, len(archList))
	done := make(chan int)
	for i, a := range archList {
		go func(i int, a string) {
			results[i], errs[i] = run(dir, gob, strings.TrimSpace(a))
			done <- i
		}(i, a)
	}
	for range archList {
		<-done
	}
	for _, e := range errs {
		if e != nil {
			fail(e)
		}
	}
	ver, _ := exec.Command(gob, "version").Output()
	var b strings.Builder
	fmt.Fprintf(&b, "# golayout golden file: generated by go-oracle/golayout (%s), seed %d, n %d. Do not edit;\n", strings.TrimSpace(string(ver)), *seed, *n)
	fmt.Fprintf(&b, "# regenerate with: cd go-oracle/golayout && go run . -seed %d -n %d -arches %s -out FILE\n", *seed, *n, *arches)
	b.WriteString("-- source --\n")
	b.WriteString(src)
	idx := make([]int, len(archList))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool { return false })
	for _, i := range idx {
		fmt.Fprintf(&b, "-- arch %s --\n", strings.TrimSpace(archList[i]))
		b.WriteString(results[i])
	}
	b.WriteString("-- end --\n")
	if *out == "" {
		os.Stdout.WriteString(b.String())
		return
	}
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		fail(err)
	}
}

const wasmLauncher = `"use strict";
globalThis.require = require;
globalThis.fs = require("fs");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
if (!globalThis.performance) {
	globalThis.performance = { now() { const [s, ns] = process.hrtime(); return s * 1000 + ns / 1e6; } };
}
if (!globalThis.crypto) {
	const c = require("crypto");
	globalThis.crypto = { getRandomValues(b) { c.randomFillSync(b); } };
}
require("GOROOT_WASM_EXEC");
const go = new Go();
go.argv = process.argv.slice(2);
go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env);
go.exit = process.exit;
WebAssembly.instantiate(fs.readFileSync(process.argv[2]), go.importObject).then((r) => go.run(r.instance)).catch((e) => { console.error(e); process.exit(1); });
`

func fail(err error) {
	fmt.Fprintln(os.Stderr, "go-oracle/golayout:", err)
	os.Exit(1)
}
