//! What golayout knows about the standard library of Go 1.19, as Go source.
//!
//! Each entry is the layout-relevant part of a real Go 1.19 package (field
//! lists copied from `$GOROOT/src`, comments and methods dropped), parsed by
//! our own parser into fallback packages of a [`crate::Program`]. Writing the
//! knowledge as Go keeps it reviewable against the originals and lets users
//! extend it the same way ([`crate::Program::add_source`]). Packages that are
//! scanned from real source take precedence over these.
//!
//! The layouts that follow are checked against the compiler by the go-oracle
//! golden tests (`sync.WaitGroup`: 12/4 on 386, 16/8 on amd64;
//! `atomic.Int64`: 8/8 everywhere, thanks to `align64`).

/// `(import path, file name, Go source)` for each known package.
pub const PACKAGES: &[(&str, &str, &str)] = &[
    (
        "sync",
        "sync.go",
        r#"package sync
import ("sync/atomic"; "unsafe")
type noCopy struct{}
type Locker interface { Lock(); Unlock() }
type Mutex struct { state int32; sema uint32 }
type RWMutex struct { w Mutex; writerSem uint32; readerSem uint32; readerCount int32; readerWait int32 }
type WaitGroup struct { noCopy noCopy; state1 uint64; state2 uint32 }
type Once struct { done uint32; m Mutex }
type Map struct { mu Mutex; read atomic.Value; dirty map[any]*entry; misses int }
type entry struct { p unsafe.Pointer }
type Cond struct { noCopy noCopy; L Locker; notify notifyList; checker copyChecker }
type notifyList struct { wait uint32; notify uint32; lock uintptr; head unsafe.Pointer; tail unsafe.Pointer }
type copyChecker uintptr
type Pool struct { noCopy noCopy; local unsafe.Pointer; localSize uintptr; victim unsafe.Pointer; victimSize uintptr; New func() any }
"#,
    ),
    (
        "sync/atomic",
        "atomic.go",
        r#"package atomic
import "unsafe"
type noCopy struct{}
type align64 struct{}
type Bool struct { _ noCopy; v uint32 }
type Pointer[T any] struct { _ [0]*T; _ noCopy; v unsafe.Pointer }
type Int32 struct { _ noCopy; v int32 }
type Int64 struct { _ noCopy; _ align64; v int64 }
type Uint32 struct { _ noCopy; v uint32 }
type Uint64 struct { _ noCopy; _ align64; v uint64 }
type Uintptr struct { _ noCopy; v uintptr }
type Value struct { v any }
"#,
    ),
    (
        "time",
        "time.go",
        r#"package time
type Duration int64
type Month int
type Weekday int
type Time struct { wall uint64; ext int64; loc *Location }
type Location struct { name string; zone []zone; tx []zoneTrans; extend string; cacheStart int64; cacheEnd int64; cacheZone *zone }
type zone struct { name string; offset int; isDST bool }
type zoneTrans struct { when int64; index uint8; isstd, isutc bool }
type runtimeTimer struct { pp uintptr; when int64; period int64; f func(any, uintptr); arg any; seq uintptr; nextwhen int64; status uint32 }
type Timer struct { C <-chan Time; r runtimeTimer }
type Ticker struct { C <-chan Time; r runtimeTimer }
"#,
    ),
    (
        "context",
        "context.go",
        r#"package context
import "time"
type Context interface { Deadline() (deadline time.Time, ok bool); Done() <-chan struct{}; Err() error; Value(key any) any }
type CancelFunc func()
"#,
    ),
    (
        "strings",
        "strings.go",
        r#"package strings
type Builder struct { addr *Builder; buf []byte }
type Reader struct { s string; i int64; prevRune int }
"#,
    ),
    (
        "bytes",
        "bytes.go",
        r#"package bytes
type readOp int8
type Buffer struct { buf []byte; off int; lastRead readOp }
"#,
    ),
    (
        "io",
        "io.go",
        r#"package io
type Reader interface { Read(p []byte) (n int, err error) }
type Writer interface { Write(p []byte) (n int, err error) }
type Closer interface { Close() error }
type ReadWriter interface { Reader; Writer }
type ReadCloser interface { Reader; Closer }
type WriteCloser interface { Writer; Closer }
type ReadWriteCloser interface { Reader; Writer; Closer }
"#,
    ),
    (
        "fmt",
        "fmt.go",
        r#"package fmt
type Stringer interface { String() string }
"#,
    ),
];
