//! The `iface` chapter: an int converted to `any` and to an interface, the
//! itab that binds them, an assertion and a type switch, and the typed-nil
//! surprise — every box drawn from goiface's real values.

use goiface::{
    assert_e2i, assert_e2i2, itab_table, types, Case, Eface, IMethod, Iface, Method, Named, Type,
    TypeSwitch, Val,
};

use crate::draw;

fn type_word(t: Option<&'static Type>) -> String {
    match t {
        None => "type: nil".into(),
        Some(t) => format!("type: → {t} (hash {:08x})", t.hash()),
    }
}

fn draw_eface(name: &str, e: &Eface) {
    println!("  {name} = eface");
    println!(
        "{}",
        draw::cells(&[type_word(e.typ()), format!("data: {:?}", e.data())])
    );
    println!("  {name} == nil? {}", e.is_nil());
}

fn draw_iface(name: &str, i: &Iface) {
    println!("  {name} = iface ({})", i.inter());
    let tab = match i.tab() {
        None => "tab: nil".to_string(),
        Some(t) => format!("tab: → itab({}, {})", t.inter(), t.typ()),
    };
    println!("{}", draw::cells(&[tab, format!("data: {:?}", i.data())]));
    if let Some(t) = i.tab() {
        let mut cells = vec![
            format!("inter: {}", t.inter()),
            format!("_type: {}", t.typ()),
            format!("hash: {:08x}", t.hash()),
        ];
        for (k, m) in t.inter().imethods().iter().enumerate() {
            cells.push(format!("fun[{k}]: {}.{}", t.typ(), m.name()));
        }
        println!("  itab:");
        println!("{}", draw::cells(&cells));
    }
}

fn name_of(recv: &Val, _: &[Eface], out: &mut [Eface]) {
    out[0] = Eface::from_string(&format!("Celsius({recv:?})"));
}

/// Runs the chapter.
pub fn run() {
    let sig = types::func_of(&[], &[types::string()], false);
    let stringer = Named::new(
        "fmt",
        "Stringer",
        types::interface_of("fmt", &[IMethod::new("String", sig)]).expect("a valid interface"),
    )
    .build()
    .expect("a valid named type");
    let celsius = Named::new("main", "Celsius", types::int())
        .method(Method::new("String", sig, name_of))
        .build()
        .expect("a valid named type");

    draw::section("Converting: a value into interface{}");
    draw::say("var e any = Celsius(21): the type word points at Celsius's descriptor, the data word holds the value.");
    let e = Eface::new(celsius, Val::Int(21)).expect("an int fits Celsius");
    draw_eface("e", &e);

    draw::section("Converting to a non-empty interface: the itab");
    draw::say("var s fmt.Stringer = Celsius(21): the first word is now an itab binding (Stringer, Celsius).");
    let before = itab_table().count();
    let s = Iface::convert(stringer, &e).expect("Celsius has String");
    draw_iface("s", &s);
    let mut out = [Eface::nil()];
    s.call(0, &[], &mut out);
    draw::say(&format!(
        "s.String() calls fun[0]: {:?}. The itab table gained {} entry (now {} in {} slots).",
        out[0].data(),
        itab_table().count() - before,
        itab_table().count(),
        itab_table().size()
    ));

    draw::section("Asserting");
    draw::say("e.(fmt.Stringer) looks the pair up in the itab table: same itab, nothing added.");
    let again = assert_e2i(stringer, &e);
    println!(
        "  same itab? {}",
        std::ptr::eq(again.tab().expect("non-nil"), s.tab().expect("non-nil"))
    );
    draw::say(
        "e.(int) compares the type word with int's descriptor: one pointer compare, and it fails:",
    );
    match e.try_assert(types::int()) {
        Ok(_) => println!("  ok"),
        Err(err) => println!("  panic: {err}"),
    }
    let plain = Eface::from_int(3);
    draw::say("any(3).(fmt.Stringer) fails; the failure is cached too:");
    println!("  ok = {}", assert_e2i2(stringer, &plain).is_some());

    draw::section("Switching on the type");
    draw::say("switch v := x.(type) { case nil: … case int: … case fmt.Stringer: … }");
    let sw = TypeSwitch::new(&[Case::Nil, Case::Type(types::int()), Case::Type(stringer)]);
    for (label, x) in [
        ("Celsius(21)", e.clone()),
        ("3", plain),
        ("nil", Eface::nil()),
    ] {
        let taken = match sw.select(&x) {
            Some(0) => "case nil",
            Some(1) => "case int",
            Some(2) => "case fmt.Stringer",
            _ => "default",
        };
        println!("  x = {label:<12} → {taken}");
    }

    draw::section("The typed-nil surprise");
    draw::say("var p *Celsius = nil; var x any = p — the type word is set, so x != nil:");
    let p = Eface::new(types::ptr_to(celsius), Val::Pointer(None)).expect("nil fits *Celsius");
    draw_eface("x", &p);
    let sw = TypeSwitch::new(&[Case::Nil, Case::Type(types::ptr_to(celsius))]);
    println!(
        "  switch x.(type) takes: {}",
        if sw.select(&p) == Some(0) {
            "case nil"
        } else {
            "case *Celsius"
        }
    );
}
