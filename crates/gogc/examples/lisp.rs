//! A tiny Lisp whose values live in a `gogc` heap: the "real host" for the
//! collector. Cons cells, closures and environments are `Gc` objects. By
//! default the heap has one mark worker thread: the collector marks in the
//! background while the interpreter runs, allocation starts cycles at the
//! pacer's trigger and pays assists, as in Go. With `--workers 0` the
//! interpreter instead steps the collector after every allocation.
//!
//! ```text
//! cargo run --example lisp                  # runs the built-in program, checks its result
//! cargo run --example lisp -- --gctrace     # ... printing a gctrace line per cycle
//! cargo run --example lisp -- --gogc 50     # ... with GOGC=50 (or `off`)
//! cargo run --example lisp -- --workers 2   # ... with 2 mark workers (0: host steps)
//! cargo run --example lisp -- --procs 8     # ... with Go's worker split for 8 Ps
//! cargo run --example lisp --features gosched -- --gosched 4
//!                                           # ... workers as tasks of a 4-P gosched runtime, idle workers too
//! cargo run --example lisp -- '(+ 1 2)'     # evaluates an expression and prints it
//! ```
//!
//! The language: integers, symbols, `()`, `quote`/`'`, `if`, `define` (also
//! `(define (f x) body...)`), `lambda`, `begin`, and the builtins `+ - * < =
//! cons car cdr null? list`. Tail calls (in `if`, `begin` and closure
//! bodies) run in a loop, so tail-recursive loops use no Rust stack.

use gogc::{Gc, GcCell, Heap, Trace};

/// A value. Everything but integers, symbols and `()` points into the heap.
#[derive(Trace, Clone)]
enum Value {
    Nil,
    Int(i64),
    /// An index into the symbol table.
    Sym(u32),
    Cons(Gc<Cons>),
    Closure(Gc<Closure>),
    Builtin(u32),
}

#[derive(Trace)]
struct Cons {
    car: Value,
    cdr: Value,
}

#[derive(Trace)]
struct Closure {
    params: Vec<u32>,
    body: Value,
    env: Gc<Env>,
}

/// A frame of variables and its parent. `define` adds to a frame, so the
/// bindings are in a cell (its setter runs the write barrier).
#[derive(Trace)]
struct Env {
    vars: GcCell<Vec<(u32, Value)>>,
    parent: Option<Gc<Env>>,
}

const BUILTINS: [&str; 10] = [
    "+", "-", "*", "<", "=", "cons", "car", "cdr", "null?", "list",
];

/// Collector work per allocation without mark workers: enough to finish a
/// cycle's marking well before the heap reaches its goal (the work units
/// approximate bytes).
const STEP_BUDGET: usize = 512;

struct Interp {
    heap: Heap,
    /// No mark workers: the interpreter steps the collector itself.
    steps: bool,
    symbols: Vec<String>,
    global: Gc<Env>,
}

type Result<T> = core::result::Result<T, String>;

impl Interp {
    fn new(heap: Heap, steps: bool) -> Interp {
        let global = heap.alloc(Env {
            vars: GcCell::new(Vec::new()),
            parent: None,
        });
        let mut interp = Interp {
            heap,
            steps,
            symbols: Vec::new(),
            global,
        };
        for (index, name) in BUILTINS.iter().enumerate() {
            let symbol = interp.intern(name);
            let builtin = Value::Builtin(index as u32);
            bind(&interp.global, symbol, builtin);
        }
        interp
    }

    fn intern(&mut self, name: &str) -> u32 {
        let index = match self.symbols.iter().position(|s| s == name) {
            Some(index) => index,
            None => {
                self.symbols.push(name.to_string());
                self.symbols.len() - 1
            }
        };
        index as u32
    }

    /// Allocates and, without mark workers, gives the collector its share
    /// of work: the host's side of Go's "allocation tests the trigger and
    /// assists" (with workers the heap's allocation does both itself).
    fn alloc<T: Trace + 'static>(&self, value: T) -> Gc<T> {
        let gc = self.heap.alloc(value);
        if self.steps {
            self.heap.step(STEP_BUDGET);
        }
        gc
    }

    fn cons(&self, car: Value, cdr: Value) -> Value {
        Value::Cons(self.alloc(Cons { car, cdr }))
    }

    // Reading.

    fn parse_all(&mut self, source: &str) -> Result<Vec<Value>> {
        let tokens: Vec<String> = source
            .replace('(', " ( ")
            .replace(')', " ) ")
            .replace('\'', " ' ")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let mut at = 0;
        let mut forms = Vec::new();
        while at < tokens.len() {
            forms.push(self.parse(&tokens, &mut at)?);
        }
        Ok(forms)
    }

    fn parse(&mut self, tokens: &[String], at: &mut usize) -> Result<Value> {
        let token = tokens.get(*at).ok_or("unexpected end of input")?;
        *at += 1;
        match token.as_str() {
            "(" => {
                let mut items = Vec::new();
                while tokens.get(*at).map(String::as_str) != Some(")") {
                    if *at >= tokens.len() {
                        return Err("missing )".into());
                    }
                    items.push(self.parse(tokens, at)?);
                }
                *at += 1;
                Ok(self.list(items))
            }
            ")" => Err("unexpected )".into()),
            "'" => {
                let quoted = self.parse(tokens, at)?;
                let quote = Value::Sym(self.intern("quote"));
                Ok(self.list(vec![quote, quoted]))
            }
            atom => Ok(match atom.parse::<i64>() {
                Ok(n) => Value::Int(n),
                Err(_) => Value::Sym(self.intern(atom)),
            }),
        }
    }

    fn list(&self, items: Vec<Value>) -> Value {
        items
            .into_iter()
            .rev()
            .fold(Value::Nil, |tail, item| self.cons(item, tail))
    }

    // Printing.

    fn show(&self, value: &Value) -> String {
        match value {
            Value::Nil => "()".into(),
            Value::Int(n) => n.to_string(),
            Value::Sym(s) => self.symbols[*s as usize].clone(),
            Value::Builtin(b) => format!("#<builtin {}>", BUILTINS[*b as usize]),
            Value::Closure(_) => "#<closure>".into(),
            Value::Cons(_) => {
                let mut parts = Vec::new();
                let mut rest = value.clone();
                while let Value::Cons(cell) = rest {
                    parts.push(self.show(&cell.car));
                    rest = cell.cdr.clone();
                }
                if !matches!(rest, Value::Nil) {
                    parts.push(".".into());
                    parts.push(self.show(&rest));
                }
                format!("({})", parts.join(" "))
            }
        }
    }

    // Evaluating.

    fn lookup(&self, env: &Gc<Env>, symbol: u32) -> Result<Value> {
        let mut frame = env.clone();
        loop {
            let found = frame
                .vars
                .borrow()
                .iter()
                .rev()
                .find(|(name, _)| *name == symbol)
                .map(|(_, value)| value.clone());
            if let Some(value) = found {
                return Ok(value);
            }
            let parent = frame.parent.clone();
            match parent {
                Some(parent) => frame = parent,
                None => return Err(format!("unbound: {}", self.symbols[symbol as usize])),
            }
        }
    }

    fn eval(&mut self, expr: Value, env: Gc<Env>) -> Result<Value> {
        let (mut expr, mut env) = (expr, env);
        loop {
            let cell = match &expr {
                Value::Sym(s) => return self.lookup(&env, *s),
                Value::Cons(cell) => cell.clone(),
                other => return Ok(other.clone()),
            };
            let args = to_vec(&cell.cdr);
            if let Value::Sym(head) = cell.car {
                match self.symbols[head as usize].as_str() {
                    "quote" => return Ok(args.first().cloned().unwrap_or(Value::Nil)),
                    "if" => {
                        let [test, then, otherwise] = take::<3>(args, "if")?;
                        let test = self.eval(test, env.clone())?;
                        expr = if matches!(test, Value::Nil) {
                            otherwise
                        } else {
                            then
                        };
                        continue;
                    }
                    "begin" => {
                        let Some((last, init)) = args.split_last() else {
                            return Ok(Value::Nil);
                        };
                        for form in init {
                            self.eval(form.clone(), env.clone())?;
                        }
                        expr = last.clone();
                        continue;
                    }
                    "define" => return self.define(args, &env),
                    "lambda" => {
                        let (params, body) = args.split_first().ok_or("lambda: no parameters")?;
                        return self.closure(params, body, &env);
                    }
                    _ => {}
                }
            }
            let function = self.eval(cell.car.clone(), env.clone())?;
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                values.push(self.eval(arg, env.clone())?);
            }
            match function {
                Value::Builtin(b) => return self.builtin(b, values),
                Value::Closure(closure) => {
                    if closure.params.len() != values.len() {
                        return Err("wrong number of arguments".into());
                    }
                    let vars = closure.params.iter().copied().zip(values).collect();
                    env = self.alloc(Env {
                        vars: GcCell::new(vars),
                        parent: Some(closure.env.clone()),
                    });
                    expr = closure.body.clone();
                }
                other => return Err(format!("not a function: {}", self.show(&other))),
            }
        }
    }

    fn define(&mut self, args: Vec<Value>, env: &Gc<Env>) -> Result<Value> {
        let (target, rest) = args.split_first().ok_or("define: nothing to define")?;
        let (name, value) = match target {
            Value::Sym(name) => {
                let [form] = take::<1>(rest.to_vec(), "define")?;
                (*name, self.eval(form, env.clone())?)
            }
            // (define (f params...) body...)
            Value::Cons(signature) => {
                let Value::Sym(name) = signature.car else {
                    return Err("define: bad name".into());
                };
                (name, self.closure(&signature.cdr, rest, env)?)
            }
            _ => return Err("define: bad target".into()),
        };
        bind(env, name, value);
        Ok(Value::Sym(name))
    }

    fn closure(&mut self, params: &Value, body: &[Value], env: &Gc<Env>) -> Result<Value> {
        let params = to_vec(params)
            .into_iter()
            .map(|p| match p {
                Value::Sym(s) => Ok(s),
                _ => Err("parameters must be symbols".to_string()),
            })
            .collect::<Result<Vec<u32>>>()?;
        let begin = Value::Sym(self.intern("begin"));
        let body = self.cons(begin, self.list(body.to_vec()));
        Ok(Value::Closure(self.alloc(Closure {
            params,
            body,
            env: env.clone(),
        })))
    }

    fn builtin(&mut self, index: u32, args: Vec<Value>) -> Result<Value> {
        let int = |value: &Value| match value {
            Value::Int(n) => Ok(*n),
            _ => Err("expected an integer".to_string()),
        };
        let truth = |b: bool| if b { Value::Int(1) } else { Value::Nil };
        Ok(match BUILTINS[index as usize] {
            "+" => Value::Int(args.iter().map(int).sum::<Result<i64>>()?),
            "*" => Value::Int(args.iter().map(int).product::<Result<i64>>()?),
            "-" => {
                let [a, b] = take::<2>(args, "-")?;
                Value::Int(int(&a)? - int(&b)?)
            }
            "<" => {
                let [a, b] = take::<2>(args, "<")?;
                truth(int(&a)? < int(&b)?)
            }
            "=" => {
                let [a, b] = take::<2>(args, "=")?;
                truth(int(&a)? == int(&b)?)
            }
            "cons" => {
                let [car, cdr] = take::<2>(args, "cons")?;
                self.cons(car, cdr)
            }
            "car" | "cdr" => {
                let [list] = take::<1>(args, "car/cdr")?;
                let Value::Cons(cell) = list else {
                    return Err("car/cdr of a non-pair".into());
                };
                if BUILTINS[index as usize] == "car" {
                    cell.car.clone()
                } else {
                    cell.cdr.clone()
                }
            }
            "null?" => {
                let [value] = take::<1>(args, "null?")?;
                truth(matches!(value, Value::Nil))
            }
            "list" => self.list(args),
            name => return Err(format!("unknown builtin {name}")),
        })
    }
}

/// Adds a binding to a frame. The cell's setter moves the new vector into
/// the heap (running the write barrier for the pointers in it).
fn bind(env: &Gc<Env>, name: u32, value: Value) {
    let mut vars = env.vars.take();
    vars.push((name, value));
    env.vars.set(vars);
}

/// A proper list's elements.
fn to_vec(list: &Value) -> Vec<Value> {
    let mut items = Vec::new();
    let mut rest = list.clone();
    while let Value::Cons(cell) = rest {
        items.push(cell.car.clone());
        rest = cell.cdr.clone();
    }
    items
}

/// Exactly `N` arguments.
fn take<const N: usize>(args: Vec<Value>, form: &str) -> Result<[Value; N]> {
    args.try_into()
        .map_err(|_| format!("{form}: expected {N} arguments"))
}

/// Builds lists and throws them away: 200 rounds of summing a fresh
/// 1000-element list, so about 200 000 cons cells and 400 000 environments
/// become garbage while the program's own definitions stay live.
const PROGRAM: &str = "
(define (range n acc) (if (= n 0) acc (range (- n 1) (cons n acc))))
(define (sum xs) (if (null? xs) 0 (+ (car xs) (sum (cdr xs)))))
(define (rounds i total)
  (if (= i 0) total (rounds (- i 1) (+ total (sum (range 1000 '()))))))
(rounds 200 0)
";

/// 200 × (1 + 2 + … + 1000).
const EXPECTED: i64 = 200 * 500_500;

fn main() -> Result<()> {
    let mut gctrace = false;
    let mut gogc = Some(100);
    let mut workers = 1usize;
    let mut procs = None;
    let mut gosched_procs: Option<usize> = None;
    let mut source = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--gctrace" => gctrace = true,
            "--gogc" => {
                let value = args.next().ok_or("--gogc needs a value")?;
                gogc = match value.as_str() {
                    "off" => None,
                    n => Some(n.parse().map_err(|_| format!("bad --gogc {n}"))?),
                };
            }
            "--workers" => {
                let value = args.next().ok_or("--workers needs a value")?;
                workers = value
                    .parse()
                    .map_err(|_| format!("bad --workers {value}"))?;
            }
            "--procs" => {
                let value = args.next().ok_or("--procs needs a value")?;
                let p: u32 = value.parse().map_err(|_| format!("bad --procs {value}"))?;
                procs = Some(p.max(1));
            }
            "--gosched" => {
                let value = args.next().ok_or("--gosched needs a value")?;
                let p: usize = value
                    .parse()
                    .map_err(|_| format!("bad --gosched {value}"))?;
                gosched_procs = Some(p.max(1));
            }
            _ => source = Some(arg),
        }
    }
    let mut builder = Heap::builder().gogc(gogc).gctrace(gctrace);
    builder = match procs {
        Some(p) => builder.procs(p),
        None => builder.mark_workers(workers),
    };
    // The runtime whose idle Ps mark (the interpreter itself runs on this
    // thread, outside it, so every P is idle); kept until the heap is gone.
    #[cfg(feature = "gosched")]
    let runtime = match gosched_procs {
        Some(p) => Some(
            gosched::Runtime::builder()
                .procs(p)
                .build()
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    #[cfg(feature = "gosched")]
    if let Some(rt) = &runtime {
        builder = builder.gosched(rt);
    }
    #[cfg(not(feature = "gosched"))]
    if gosched_procs.is_some() {
        return Err("--gosched needs the `gosched` feature".into());
    }
    // Only a heap without workers is stepped by the interpreter.
    let host_steps = workers == 0 && procs.is_none() && gosched_procs.is_none();
    let heap = builder.build();
    let mut interp = Interp::new(heap, host_steps);
    let program = source.as_deref().unwrap_or(PROGRAM);
    let mut last = Value::Nil;
    for form in interp.parse_all(program)? {
        let global = interp.global.clone();
        last = interp.eval(form, global)?;
    }
    println!("{}", interp.show(&last));
    let stats = interp.heap.stats();
    println!(
        "{} cycles, {} objects allocated, {} live",
        stats.cycles, stats.allocated_objects, stats.live_objects
    );
    if !host_steps {
        println!(
            "longest pause {:?}, longest stall of the interpreter {:?}",
            stats.longest_pause, stats.stalls.longest
        );
        let last = &stats.last;
        println!(
            "last cycle: {} P, {} dedicated workers{}, marking {:?} dedicated, {:?} fractional, {:?} idle",
            last.procs,
            last.dedicated_workers,
            if last.fractional_worker { " + fractional" } else { "" },
            last.dedicated_time,
            last.fractional_time,
            last.idle_time
        );
    }
    if source.is_none() {
        assert!(
            matches!(last, Value::Int(n) if n == EXPECTED),
            "wrong result"
        );
        assert!(stats.cycles > 0, "the collector never ran");
        assert!(
            stats.live_objects < stats.allocated_objects as usize / 10,
            "garbage was not collected"
        );
    }
    Ok(())
}
