//! The Plan contract: the documented example parses, and bad plans are refused with the
//! offending field named.
use coda_engine::plan::Plan;

fn doc_example() -> String {
    let doc = include_str!("../../docs/plan.md");
    let start = doc.find("```json").expect("example block") + "```json".len();
    let end = start + doc[start..].find("```").expect("end of block");
    doc[start..end].to_string()
}

#[test]
fn documented_example_parses_and_validates() {
    let plan = Plan::from_json(&doc_example()).expect("docs/plan.md example");
    assert_eq!(plan.eq.bands.len(), 6);
    assert_eq!(plan.imager.as_ref().unwrap().widths, vec![0.3, 1.1, 1.2]);
    // Round trip.
    assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
}

fn field_of(text: &str) -> String {
    match Plan::from_json(text) {
        Err(coda_engine::Error::Plan { field, .. }) => field,
        other => panic!("expected a plan error, got {other:?}"),
    }
}

fn with(edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&doc_example()).unwrap();
    edit(&mut v);
    v.to_string()
}

#[test]
fn bad_values_name_their_field() {
    assert_eq!(
        field_of(&with(|v| v["eq"]["bands"][2]["gain_db"] = 40.0.into())),
        "eq.bands[2].gain_db"
    );
    assert_eq!(
        field_of(&with(|v| v["limiter"]["ceiling_dbtp"] = 1.5.into())),
        "limiter.ceiling_dbtp"
    );
    assert_eq!(
        field_of(&with(|v| v["imager"]["widths"][1] = 3.0.into())),
        "imager.widths[1]"
    );
    assert_eq!(
        field_of(&with(
            |v| v["automation"]["points"][2]["time_s"] = 1.0.into()
        )),
        "automation.points[2].time_s"
    );
    assert_eq!(
        field_of(&with(
            |v| v["eq"]["bands"][0]["slope_db_per_oct"] = 18.into()
        )),
        "eq.bands[0].slope_db_per_oct"
    );
    assert_eq!(field_of(&with(|v| v["version"] = 2.into())), "version");
}

#[test]
fn unknown_fields_and_malformed_json_are_refused() {
    assert_eq!(field_of(&with(|v| v["loudness"] = 3.into())), "loudness");
    assert_eq!(field_of(&with(|v| v["limiter"]["knee"] = 3.into())), "knee");
    let f = field_of("{\"version\": 1, \"sample_rate_hz\": 44100, \"output_gain_db\": NaN}");
    assert!(f.starts_with("line 1"), "{f}");
    let f = field_of("{\"version\": 1,");
    assert!(f.starts_with("line"), "{f}");
}
