//! The reader against python-dotenv: `tests/dotenv/*.env` hold the forms, and each `.json`
//! beside them is what python-dotenv 1.2 (`load_dotenv()` semantics: interpolation on, the
//! process environment winning) made of it, with FROM_PROCESS=proc and
//! OVERRIDDEN=from-process in the process environment.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

fn process(name: &str) -> Option<String> {
    match name {
        "FROM_PROCESS" => Some("proc".into()),
        "OVERRIDDEN" => Some("from-process".into()),
        _ => None,
    }
}

fn fixture(name: &str) -> (String, BTreeMap<String, String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dotenv");
    let text = std::fs::read_to_string(dir.join(format!("{name}.env"))).expect("env fixture");
    let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("json fixture");
    (text, serde_json::from_str(&json).expect("json"))
}

fn as_map(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().collect()
}

/// Every line of the fixture, alone and in the whole file, gives what python-dotenv gave.
fn check_fixture(name: &str) {
    let (text, want) = fixture(name);
    assert_eq!(as_map(read(&text, process).expect(name)), want, "{name}");
    // Each one-line statement alone too, so a failure names its line; a name set twice
    // and a value that expands others depend on the rest of the file.
    for line in text.lines() {
        // The lines of a value that spans lines do not read alone.
        let Ok(alone) = read(line, process) else {
            continue;
        };
        for (k, v) in &as_map(alone) {
            let set_once = text
                .lines()
                .filter(|l| l.contains(&format!("{k}=")))
                .count()
                == 1;
            if set_once && !line.contains("${") {
                assert_eq!(want.get(k), Some(v), "{name}: {line}");
            }
        }
    }
}

#[test]
fn the_old_tools_env_file_reads_as_python_dotenv_reads_it() {
    check_fixture("old-tool");
}

#[test]
fn every_form_reads_as_python_dotenv_reads_it() {
    check_fixture("forms");
}

#[test]
fn the_setup_guides_password_line_keeps_its_spaces_and_drops_the_comment() {
    let got = read(
        "EMAIL_PASSWORD=abcd efgh ijkl mnop  # 16-character app password\n",
        |_| None,
    )
    .expect("reads");
    assert_eq!(
        got,
        vec![(
            "EMAIL_PASSWORD".to_string(),
            "abcd efgh ijkl mnop".to_string()
        )]
    );
}

#[test]
fn each_form_on_its_own() {
    let one = |text: &str| -> Option<String> {
        read(text, |_| None)
            .expect(text)
            .into_iter()
            .find(|(k, _)| k == "K")
            .map(|(_, v)| v)
    };
    let cases: &[(&str, Option<&str>)] = &[
        ("K=v", Some("v")),
        ("  K  =  spaced out  ", Some("spaced out")),
        ("K=a #c", Some("a")),
        ("K=a\t#c", Some("a")),
        ("K=a#c", Some("a#c")),
        ("K= #c", Some("#c")),
        ("export K=e", Some("e")),
        ("export\tK=e", Some("e")),
        ("K=", Some("")),
        ("K= ", Some("")),
        ("K=''", Some("")),
        ("K=\"\"", Some("")),
        ("K", None),
        ("K # only a name", None),
        ("K='a\\'b\\\\c\\n'", Some("a'b\\c\\n")),
        ("K=\"a\\\"b\\\\c\\nd\\qe\"", Some("a\"b\\c\nd\\qe")),
        (
            "K=\"1\\t2\\r3\\a\\b\\f\\v\"",
            Some("1\t2\r3\u{7}\u{8}\u{c}\u{b}"),
        ),
        ("K='x'#c", Some("x")),
        ("K=\"x\"  # c", Some("x")),
        ("K=\"two\nlines\"", Some("two\nlines")),
        ("K='two\r\nlines'", Some("two\r\nlines")),
        ("'K'=quoted name", Some("quoted name")),
        ("K=a=b", Some("a=b")),
        ("K=x\"y", Some("x\"y")),
        ("\u{feff}K=bom", Some("bom")),
        ("# K=commented", None),
        ("K=\"C:\\dir\\\"", Some("C:\\dir\\")),
    ];
    for (text, want) in cases {
        assert_eq!(one(text).as_deref(), *want, "{text:?}");
    }
}

#[test]
fn expansion_follows_python_dotenv() {
    let process = |n: &str| (n == "P").then(|| "proc".to_string());
    let text = "A=a\nB\nK1=${A}-${P}-${NONE}\nK2=\"${NONE:-d} ${A:-unused}\"\nK3='${A}'\n\
                K4=${B:-unused}\nK5=$A ${A:x} ${A\nP=file\nK6=${P}\nK7=${LATER:-early}\nLATER=1\n";
    let got = as_map(read(text, process).expect("reads"));
    assert_eq!(got["K1"], "a-proc-");
    assert_eq!(got["K2"], "d a");
    assert_eq!(
        got["K3"], "a",
        "python-dotenv expands single-quoted values too"
    );
    assert_eq!(
        got["K4"], "",
        "a name set without a value expands to nothing"
    );
    assert_eq!(got["K5"], "$A ${A:x} ${A");
    assert_eq!(got["K6"], "proc", "the process environment wins");
    assert_eq!(got["K7"], "early", "only names set above count");
    assert!(!got.contains_key("B"));
}

#[test]
fn a_bad_line_is_named_by_number_and_never_shows_its_value() {
    let cases: &[(&str, usize, Option<&str>, &str)] = &[
        ("A=1\n\n=secret-value\n", 3, None, "no name"),
        (
            "A=1\nPASS=\"secret-value\n",
            2,
            Some("PASS"),
            "no closing \"",
        ),
        ("PASS='secret-value\nB=2\n", 1, Some("PASS"), "no closing '"),
        (
            "A=1\nPASS=\"secret\" value\n",
            2,
            Some("PASS"),
            "after the closing quote",
        ),
        (
            "A=1\r\nB=2\r\nNAME secret-value\r\n",
            3,
            Some("NAME"),
            "after the name",
        ),
        ("'unclosed=secret-value\n", 1, None, "single quotes"),
        (
            "A=\"x\ny\"\nB='z' secret-value\n",
            3,
            Some("B"),
            "after the closing quote",
        ),
    ];
    for (text, line, key, problem) in cases {
        let e = read(text, |_| None).expect_err(text);
        assert_eq!(e.line, *line, "{text:?}: {e}");
        assert_eq!(e.key.as_deref(), *key, "{text:?}: {e}");
        let shown = e.to_string();
        assert!(shown.contains(problem), "{text:?}: {shown}");
        assert!(!shown.contains("secret"), "{text:?}: {shown}");
    }
}
