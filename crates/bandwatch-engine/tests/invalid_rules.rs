//! Every case in `tests/invalid_rules.toml` is refused with exactly the error written there,
//! and two rules with one name are refused by the engine.

use bandwatch_engine::{Engine, RuleSpec};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    error: String,
    rule: RuleSpec,
}

#[test]
fn invalid_rules_give_their_exact_error() {
    let text = include_str!("invalid_rules.toml");
    let cases: Cases = toml::from_str(text).expect("cases parse");
    assert!(cases.case.len() >= 10);
    for c in cases.case {
        let got = c.rule.validate().map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(got, Err(c.error), "{:?}", c.rule);
    }
}

#[test]
fn duplicate_rule_names_are_refused() {
    let rule: RuleSpec =
        toml::from_str("name = \"link\"\nmetric = \"net_up\"\ncondition = \"state_change\"")
            .expect("rule parses");
    let err = Engine::from_specs(&[rule.clone(), rule])
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert_eq!(
        err,
        Err(
            "rule 'link': field 'name': another rule has the same name; names must be unique"
                .into()
        )
    );
}

#[test]
fn unknown_fields_are_refused_by_the_parser() {
    let err = toml::from_str::<RuleSpec>(
        "name = \"x\"\nmetric = \"m\"\ncondition = \"spike\"\nfactr = 3.0",
    )
    .map(|_| ())
    .map_err(|e| e.to_string());
    assert!(err.is_err_and(|e| e.contains("unknown field `factr`")));
}
