//! Shared helpers of the vector tests.
#![allow(dead_code)]
use serde_json::Value;

/// The cases of `tests/data/<name>.json`.
pub fn cases(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases = value
        .as_array()
        .unwrap_or_else(|| panic!("{path}: not an array"))
        .clone();
    assert!(!cases.is_empty(), "{path}: no cases");
    cases
}

/// A string member of a case.
pub fn s<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("case {}: {key} is not a string", case["name"]))
}

/// The bytes of a hex member.
pub fn hex_bytes(case: &Value, key: &str) -> Vec<u8> {
    hex::decode(s(case, key)).unwrap_or_else(|e| panic!("case {}: {key}: {e}", case["name"]))
}

/// 16 random bytes from `random_hex`.
pub fn random16(case: &Value) -> [u8; 16] {
    hex_bytes(case, "random_hex")
        .try_into()
        .unwrap_or_else(|_| panic!("case {}: random_hex is not 16 bytes", case["name"]))
}
