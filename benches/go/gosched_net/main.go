// The Go 1.19 side of the gosched_net benches: the echo and HTTP "hello"
// servers of benches/benches/gosched_net.rs written with net, a goroutine per
// connection, measured by the same load generator as the Rust servers.
//
// Run with no arguments (as `cargo xtask bench --go` does), it runs the Rust
// bench binary with `--go-server <this program>`; that binary starts this
// program as `serve KIND PROCS` once per workload, drives it with its
// std-thread load generator, and prints the rows (subject `go`), which pass
// through on stdout. Letting one generator measure every server keeps the
// client side identical, so only the server differs.
//
// `serve KIND PROCS` sets GOMAXPROCS to PROCS, listens on a free loopback
// port, prints the address and serves until killed. Go sets TCP_NODELAY on
// every connection by default, as the Rust servers do explicitly.
package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
)

const body = "Hello, World!"

var response = []byte(fmt.Sprintf(
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s",
	len(body), body))

var headEnd = []byte("\r\n\r\n")

// handle serves one connection: echo writes back what it read; http answers
// every complete request head in the input with the fixed response.
func handle(conn net.Conn, kind string) {
	defer conn.Close()
	buf := make([]byte, 4096)
	var pending, out []byte
	for {
		n, err := conn.Read(buf)
		if n == 0 || err != nil {
			return
		}
		reply := buf[:n]
		if kind == "http" {
			pending = append(pending, buf[:n]...)
			out = out[:0]
			for {
				end := bytes.Index(pending, headEnd)
				if end < 0 {
					break
				}
				pending = pending[end+4:]
				out = append(out, response...)
			}
			reply = out
		}
		if _, err := conn.Write(reply); err != nil {
			return
		}
	}
}

func serve(kind string, procs int) {
	runtime.GOMAXPROCS(procs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			continue
		}
		go handle(conn, kind)
	}
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "serve" {
		procs, err := strconv.Atoi(os.Args[3])
		if err != nil || (os.Args[2] != "echo" && os.Args[2] != "http") {
			fmt.Fprintln(os.Stderr, "usage: serve echo|http PROCS")
			os.Exit(2)
		}
		serve(os.Args[2], procs)
		return
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	args := []string{"bench", "-q", "-p", "gort-benches", "--bench", "gosched_net", "--", "--go-server", self}
	if len(os.Args) == 3 && os.Args[1] == "--only" {
		args = append(args, "--only", os.Args[2])
	}
	cmd := exec.Command("cargo", args...)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "gosched_net: the Rust load generator failed:", err)
		os.Exit(1)
	}
}
