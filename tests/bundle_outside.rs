//! A bundle seen from outside Amanat: it opens with the standard age tools and lists with
//! `tar`, and an anonymised one holds none of the original names, in any script.

mod common;

use std::process::Command;

use age::secrecy::ExposeSecret;
use amanat::bundle::{ExportRequest, ImportOptions, Selection};
use amanat::model::{ContactTrust, ExportProfile};
use amanat::{AttachOptions, Progress, Testimony};

fn go(_: Progress) -> bool {
    true
}

fn outsider() -> (age::x25519::Identity, String) {
    common::outsider("Outside reader", 7)
}

use common::{contains, decrypt, tar_member};

fn rage() -> String {
    std::env::var("RAGE").unwrap_or_else(|_| {
        panic!("set RAGE to a rage binary (make test-rust installs one in target/tools)")
    })
}

#[test]
fn a_bundle_opens_with_rage_and_lists_with_tar() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v.amanat"));
    let (identity, card) = outsider();
    v.add_contact(&card, None, ContactTrust::Organisation)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = v
        .add_testimony(common::testimony("R-1", "r"))
        .unwrap_or_else(|e| panic!("{e}"));
    let png = root.path().join("p.png");
    let content = common::png_like(&png, 200_000, 5);
    v.attach_file(t, &png, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    let bundle = root.path().join("out.amanat");
    let req = ExportRequest {
        to: vec!["Outside reader".into()],
        profile: ExportProfile::Full,
        selection: Selection::All,
    };
    v.export_bundle(&req, &bundle, &mut go)
        .unwrap_or_else(|e| panic!("export: {e}"));

    let key_file = root.path().join("key.txt");
    std::fs::write(&key_file, identity.to_string().expose_secret())
        .unwrap_or_else(|e| panic!("{e}"));
    let tar_file = root.path().join("out.tar");
    let status = Command::new(rage())
        .arg("-d")
        .arg("-i")
        .arg(&key_file)
        .arg("-o")
        .arg(&tar_file)
        .arg(&bundle)
        .status()
        .unwrap_or_else(|e| panic!("rage: {e}"));
    assert!(status.success());
    let listing = Command::new("tar")
        .arg("tf")
        .arg(&tar_file)
        .output()
        .unwrap_or_else(|e| panic!("tar: {e}"));
    assert!(listing.status.success());
    let names: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(String::from)
        .collect();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&content))
    };
    assert_eq!(
        names,
        [
            "manifest.json".to_string(),
            "manifest.sig".into(),
            "revisions.jsonl".into(),
            format!("blobs/{sha}"),
        ]
    );
    // The file inside is the attachment, byte for byte.
    let out = Command::new("tar")
        .arg("xOf")
        .arg(&tar_file)
        .arg(format!("blobs/{sha}"))
        .output()
        .unwrap_or_else(|e| panic!("tar: {e}"));
    assert!(out.stdout == content);
}

const WITNESS: [&str; 4] = [
    "Ержанат Абай",
    "ئەرجانات ئاباي",
    "叶尔扎那提·阿拜",
    "Yerzhanat Abai",
];
const RELATIVE: [&str; 2] = ["Гүлнар Абайқызы", "Gulnar Abaikyzy"];

fn witness_testimony(code: &str, relative_named: bool) -> Testimony {
    let names: Vec<serde_json::Value> = WITNESS
        .iter()
        .map(|n| serde_json::json!({ "name": n }))
        .collect();
    let testifier = serde_json::json!({
        "names": names, "birth": "1985-03-12",
        "hometown": "Ghulja", "notes": "phone +7 701 000 0000"
    });
    let mut persons = vec![];
    if relative_named {
        persons.push(serde_json::json!({
            "names": RELATIVE.iter().map(|n| serde_json::json!({"name": n})).collect::<Vec<_>>(),
            "roles": ["victim", "relative"], "relation": "sister"
        }));
    }
    let json = serde_json::json!({
        "code": code,
        "interviewer": "Aigerim Interviewer",
        "interview_place": "Almaty, Abai avenue 5, flat 12",
        "summary": "ЕРЖАНАТ АБАЙ speaks of his sister Gulnar Abaikyzy.",
        "narrative": "Менің атым Ержанат Абай. ئەرجانات ئاباي دېدى. 叶尔扎那提说他的妹妹被拘留。 \
                      Yerzhanat says Gulnar was taken in 2018; Abai's family lives in Ghulja.",
        "testifier": testifier,
        "persons": persons,
        "events": [{"kind": "detention", "start": "2018-21", "place": "Ghulja",
                    "description": "Gulnar Abaikyzy taken from home"}],
        "consents": [{"scopes": {"publish_anonymised": "granted", "publish_image_voice": "granted"},
                      "obtained_by": "Aigerim"}]
    });
    Testimony::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_anonymised_bundle_holds_no_original_name_in_any_script_and_pseudonyms_are_stable() {
    let root = common::tempdir();
    let (mut v, _) = common::create(&root.path().join("v.amanat"));
    let (mut b, _) = common::create(&root.path().join("b.amanat"));
    let (identity, card) = outsider();
    v.add_contact(&card, None, ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let b_card = b
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    v.add_contact(&b_card, Some("Publisher"), ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let v_card = v
        .contact_card()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    b.add_contact(&v_card, Some("Source"), ContactTrust::Partner)
        .unwrap_or_else(|e| panic!("{e}"));
    let t1 = v
        .add_testimony(witness_testimony("W-1", true))
        .unwrap_or_else(|e| panic!("{e}"));
    let t2 = v
        .add_testimony(witness_testimony("W-2", false))
        .unwrap_or_else(|e| panic!("{e}"));
    let safe = root.path().join("map.png");
    let private = root.path().join("passport.png");
    let safe_content = common::png_like(&safe, 100_000, 11);
    let private_content = common::png_like(&private, 100_000, 12);
    let safe_id = v
        .attach_file(t1, &safe, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    v.attach_file(t1, &private, &AttachOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("{e}"));
    v.set_safe_to_publish(safe_id, true)
        .unwrap_or_else(|e| panic!("{e}"));
    // The coordinator linked the witness's two records as one person: who is who across
    // testimonies must not travel in an anonymised bundle.
    let witness = |id| {
        let t = v.testimony(id).unwrap_or_else(|e| panic!("{e}")).testimony;
        amanat::model::PersonRef {
            testimony: id,
            person: t.testifier.map(|p| p.id).unwrap_or_default(),
        }
    };
    let (w1, w2) = (witness(t1), witness(t2));
    v.merge_persons(w1, w2, None)
        .unwrap_or_else(|e| panic!("{e}"));

    let req = ExportRequest {
        to: vec!["Outside reader".into(), "Publisher".into()],
        profile: ExportProfile::Anonymised,
        selection: Selection::Ids(vec![t1, t2]),
    };
    let plan = v.plan_export(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.included.len(), 2);
    assert_eq!(plan.included[0].attachments_withheld, 1);
    let bundle = root.path().join("anon.amanat");
    v.export_bundle(&req, &bundle, &mut go)
        .unwrap_or_else(|e| panic!("export: {e}"));

    let plain = decrypt(&identity, &bundle);
    let text = String::from_utf8_lossy(&plain).to_lowercase();
    let mut needles: Vec<String> = Vec::new();
    for name in WITNESS.iter().chain(RELATIVE.iter()) {
        needles.push(name.to_lowercase());
        needles.extend(
            name.split([' ', '·'])
                .filter(|p| p.chars().count() >= 2)
                .map(str::to_lowercase),
        );
    }
    needles.extend(["aigerim", "abai avenue", "+7 701"].map(String::from));
    for n in &needles {
        if let Some(i) = text.find(n.as_str()) {
            let from = text.floor_char_boundary(i.saturating_sub(80));
            let to = text.ceil_char_boundary((i + 80).min(text.len()));
            panic!("{n:?} is in the anonymised bundle: {}", &text[from..to]);
        }
    }
    assert!(
        !contains(&plain, &private_content[..4096]),
        "a file not marked safe to publish is in the bundle"
    );
    assert!(contains(&plain, &safe_content[..4096]));
    let original = v.testimony(t1).unwrap_or_else(|e| panic!("{e}")).testimony;
    for p in original.testifier.iter().chain(original.persons.iter()) {
        assert!(
            !text.contains(&p.id.to_string()),
            "a person's id (a UUIDv7, which dates it) is in the bundle"
        );
    }
    assert!(!text.contains("same_as"), "links between persons go");
    assert!(!text.contains(&w2.person.to_string()) && !text.contains(&w1.person.to_string()));
    assert!(text.contains("\"1985\""), "the year of birth stays");
    assert!(!text.contains("1985-03"), "the day and month of birth go");

    // The witness has one pseudonym across both testimonies; exporting again gives the
    // same anonymised revisions (so the publisher's import of it changes nothing).
    b.import_bundle(&bundle, &ImportOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("import: {e}"));
    let list = b.list_testimonies().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(list.len(), 2);
    let first_names: Vec<String> = list
        .iter()
        .map(|s| {
            let t = b
                .testimony(s.id)
                .unwrap_or_else(|e| panic!("{e}"))
                .testimony;
            t.testifier
                .map(|p| p.names[0].name.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(first_names[0], first_names[1]);
    assert!(first_names[0].starts_with("Person "), "{first_names:?}");
    let again = root.path().join("anon-again.amanat");
    v.export_bundle(&req, &again, &mut go)
        .unwrap_or_else(|e| panic!("export: {e}"));
    let report = b
        .import_bundle(&again, &ImportOptions::default(), &mut go)
        .unwrap_or_else(|e| panic!("import: {e}"));
    assert_eq!((report.revisions_new, report.testimonies_new), (0, 0));
    let manifest: serde_json::Value = serde_json::from_slice(&tar_member(&plain, "manifest.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let redactions = manifest["redactions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(redactions.len(), 2);
    let original = v.testimony(t1).unwrap_or_else(|e| panic!("{e}")).heads;
    assert!(
        redactions
            .iter()
            .any(|r| r["original"] == serde_json::json!(original))
    );
}
