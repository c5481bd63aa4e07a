//! `jssdk.json`: every JS-SDK signature case, the official example among them.
mod common;

use common::{cases, s};
use wechat_proto::{jssdk_signature, page_url};

#[test]
fn every_jssdk_case_matches() {
    for case in cases("jssdk") {
        let timestamp: u64 = s(&case, "timestamp").parse().expect("a number");
        let signed = jssdk_signature(
            s(&case, "jsapi_ticket"),
            s(&case, "noncestr"),
            timestamp,
            s(&case, "url"),
        );
        assert_eq!(signed, s(&case, "signature"), "case {}", case["name"]);
        if let Some(doc) = case["doc_signature"].as_str() {
            assert_eq!(signed, doc, "case {}", case["name"]);
        }
        let with_fragment = format!("{}#/section", s(&case, "url"));
        let again = jssdk_signature(
            s(&case, "jsapi_ticket"),
            s(&case, "noncestr"),
            timestamp,
            page_url(&with_fragment),
        );
        assert_eq!(
            again, signed,
            "case {}: the fragment is dropped",
            case["name"]
        );
    }
}
