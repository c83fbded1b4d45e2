// Command goiface prints, for a fixed set of Go types, the fields of their
// runtime type descriptors (read through unsafe) and the panic texts of a
// set of failing assertions and comparisons. crates/goiface/tests/
// go_oracle_iface.rs builds the same types with goiface and compares.
//
// Output lines:
//
//	type <size> <ptrdata> <hash> <tflag> <align> <fieldAlign> <kind> <gcdata hex> <string>
//	panic <text>
package main

import (
	"fmt"
	"unsafe"
)

type T int

func (T) M() {}

type I interface{ M() }

type J interface {
	M()
	Z()
}

type A int

func (A) M() {}

type B int

func (B) M() {}

type S struct{ s []int }

type E struct {
	T
	x int
}

type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func describe(x any) {
	e := (*eface)(unsafe.Pointer(&x))
	p := e.typ
	w := unsafe.Sizeof(uintptr(0))
	size := *(*uintptr)(p)
	ptrdata := *(*uintptr)(unsafe.Add(p, w))
	hash := *(*uint32)(unsafe.Add(p, 2*w))
	tflag := *(*uint8)(unsafe.Add(p, 2*w+4))
	align := *(*uint8)(unsafe.Add(p, 2*w+5))
	falign := *(*uint8)(unsafe.Add(p, 2*w+6))
	kind := *(*uint8)(unsafe.Add(p, 2*w+7))
	gcdata := *(*unsafe.Pointer)(unsafe.Add(p, 3*w+8)) // after hash..kind (8 bytes) and equal
	gc := ""
	for i := uintptr(0); i < (ptrdata/w+7)/8; i++ {
		gc += fmt.Sprintf("%02x", *(*uint8)(unsafe.Add(gcdata, i)))
	}
	if gc == "" {
		gc = "-"
	}
	fmt.Printf("type %d %d %08x %d %d %d %d %s %T\n", size, ptrdata, hash, tflag, align, falign, kind, gc, x)
}

func catch(f func()) {
	defer func() {
		fmt.Printf("panic %v\n", recover())
	}()
	f()
}

var sink any

func main() {
	describe(int(0))
	describe("")
	describe(T(0))
	describe(false)
	describe(float64(0))
	describe(complex64(0))
	describe(uintptr(0))
	describe(unsafe.Pointer(nil))
	describe([]int(nil))
	describe(map[string]int(nil))
	describe((*T)(nil))
	describe(struct {
		a int8
		B string
	}{})
	describe([3]uint8{})
	describe(struct{}{})
	describe([2]struct{}{})
	describe((func(int, ...string) bool)(nil))
	describe((func() (int, string))(nil))
	describe((chan<- int)(nil))
	describe((<-chan int)(nil))
	describe((chan (<-chan int))(nil))
	describe([]I(nil))
	describe([]any(nil))
	describe(S{})
	describe([1]*int{})
	describe(struct {
		p *int
		n int
		s string
	}{})
	describe(struct{ T }{})
	describe(E{})
	describe(&E{})
	describe([1]any{})
	describe(struct {
		a any
		n int
		b I
	}{})

	var e any = "s"
	catch(func() { sink = e.(int) })
	var i I = A(1)
	catch(func() { sink = i.(B) })
	var ea any = A(1)
	catch(func() { sink = ea.(J) })
	catch(func() { sink = any([]int{}).(I) })
	var en any
	catch(func() { sink = en.(int) })
	var in I
	catch(func() { sink = in.(A) })
	catch(func() { sink = en.(I) })
	catch(func() { sink = any([]int{}) == any([]int{}) })
	catch(func() { sink = any(S{}) == any(S{}) })
	catch(func() { sink = any(map[int]int{}) == any(map[int]int{}) })
	catch(func() { m := map[any]int{}; m[[]int{}] = 1 })
	catch(func() { var m map[any]int; sink = m[S{}] })
	catch(func() { m := map[any]int{}; m[[1]S{}] = 1 })
	var ee any = E{}
	catch(func() { sink = ee.(J) })
}
