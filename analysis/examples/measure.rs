//! Prints coda's analysis of each file given (compact JSON without series) and how long
//! `analyze` took: `cargo run --release -p coda-analysis --example measure -- FILE...`.
use std::time::Instant;

fn main() {
    for path in std::env::args().skip(1) {
        let audio = match coda_engine::io::read(std::path::Path::new(&path)) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let t = Instant::now();
        let a = coda_analysis::analyze(&audio);
        let dt = t.elapsed().as_secs_f64();
        match a {
            Ok(a) => {
                let mut v = serde_json::to_value(&a).expect("serialises");
                if let Some(o) = v.as_object_mut() {
                    o.remove("series");
                    o.remove("spectrum");
                }
                println!("{path}: analyze {dt:.3} s\n{v}");
            }
            Err(e) => eprintln!("{path}: {e}"),
        }
    }
}
