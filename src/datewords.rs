//! The words of dates in the app's five languages, as data: month and season names by stem
//! (so that case endings and suffixes still match: "марта", "наурызда", "مارتتا"), words for
//! "about" and "maybe", year words to skip ("г.", "жылы", "يىلى", "年"), and the connectives
//! of ranges ("с … по", "… мен … аралығында", "… دىن … غىچە", "至"). `datetext` reads a phrase
//! into tokens with these tables and takes the dates found between the connectives.
//!
//! What the app shows (its catalogs' `edtf.*` messages and the `Intl` dates of each language)
//! is read back to the same EDTF: the tests check that round trip for every language.

/// Month stems, January first. A word is that month when it starts with one of them.
pub const MONTHS: [&[&str]; 12] = [
    &["january", "январ", "янв", "қаңтар", "қаң", "يانۋار"],
    &[
        "february",
        "феврал",
        "фев",
        "ақпан",
        "ақп",
        "فېۋرال",
        "فىۋرال",
    ],
    &["march", "март", "мар", "наурыз", "нау", "مارت"],
    &["april", "апрел", "апр", "сәуір", "сәу", "ئاپرېل", "ئاپرىل"],
    &["may", "май", "мая", "мае", "маю", "мамыр", "мам", "ماي"],
    &["june", "июн", "маусым", "мау", "ئىيۇن", "ئىيون"],
    &["july", "июл", "шілде", "шіл", "ئىيۇل", "ئىيول"],
    &["august", "август", "авг", "тамыз", "там", "ئاۋغۇست"],
    &[
        "september",
        "сентябр",
        "сент",
        "сен",
        "қыркүйек",
        "қыр",
        "سېنتەبىر",
        "سىنتەبىر",
    ],
    &[
        "october",
        "октябр",
        "окт",
        "қазан",
        "қаз",
        "ئۆكتەبىر",
        "ئوكتەبىر",
    ],
    &[
        "november",
        "ноябр",
        "нояб",
        "ноя",
        "қараша",
        "қар",
        "نويابىر",
    ],
    &[
        "december",
        "декабр",
        "дек",
        "желтоқсан",
        "жел",
        "دېكابىر",
        "دىكابىر",
    ],
];

/// Season stems and their English word (which `datetext` turns into EDTF 21–24).
pub const SEASONS: [(&str, &[&str]); 4] = [
    ("spring", &["spring", "весн", "көктем", "ئەتىياز", "باھار"]),
    ("summer", &["summer", "лет", "жаз", "ياز"]),
    ("autumn", &["autumn", "fall", "осен", "күз", "كۈز"]),
    ("winter", &["winter", "зим", "қыс", "قىش"]),
];

/// "About": the date is approximate (EDTF `~`).
pub const ABOUT: [&str; 14] = [
    "about",
    "around",
    "circa",
    "approximately",
    "c.",
    "около",
    "примерно",
    "приблизительно",
    "ок.",
    "шамамен",
    "шамасында",
    "мөлшермен",
    "تەخمىنەن",
    "تەخمىنەنچە",
];

/// "Maybe": the date is uncertain (EDTF `?`).
pub const MAYBE: [&str; 11] = [
    "maybe",
    "probably",
    "perhaps",
    "возможно",
    "вероятно",
    "наверное",
    "мүмкін",
    "бәлкім",
    "بەلكىم",
    "مۇمكىن",
    "ئېھتىمال",
];

/// Whole phrases that say "uncertain" after a date, as the app shows it.
pub const UNCERTAIN_PHRASES: [&str; 5] = [
    "(uncertain)",
    "(не точно)",
    "(нақты емес)",
    "(ئېنىق ئەمەس)",
    "（不确定）",
];

/// Phrases that say the end (or the start) of a range is unknown: EDTF `2017/` and `/2019`.
pub const END_UNKNOWN: [&str; 5] = [
    "end unknown",
    "конец неизвестен",
    "соңы белгісіз",
    "ئاخىرى نامەلۇم",
    "结束时间不明",
];
pub const START_UNKNOWN: [&str; 5] = [
    "start unknown",
    "начало неизвестно",
    "басы белгісіз",
    "بېشى نامەلۇم",
    "开始时间不明",
];

/// Words that carry no date: year words, prepositions, articles.
pub const SKIP: [&str; 27] = [
    "the",
    "of",
    "in",
    "year",
    "г",
    "г.",
    "гг.",
    "год",
    "года",
    "году",
    "годы",
    "годов",
    "годах",
    "в",
    "во",
    "ж",
    "ж.",
    "жыл",
    "жылы",
    "жылғы",
    "жылдың",
    "жылда",
    "жылға",
    "يىل",
    "يىلى",
    "يىلىدىكى",
    "يىلىغا",
];

/// A range starts here ("from", "since"): one date with it is open-ended, EDTF `2017/..`.
pub const FROM: [&str; 16] = [
    "from",
    "since",
    "after",
    "с",
    "со",
    "от",
    "после",
    "бастап",
    "кейін",
    "دىن",
    "تىن",
    "باشلاپ",
    "بۇيان",
    "كېيىن",
    "起",
    "自",
];

/// A range ends here ("to", "until", "before"): one date with it is EDTF `../2019`.
pub const TO: [&str; 13] = [
    "to",
    "until",
    "till",
    "before",
    "по",
    "до",
    "дейін",
    "غىچە",
    "قىچە",
    "گىچە",
    "كىچە",
    "بۇرۇن",
    "至",
];

/// Words between the two dates of a range that say nothing more ("between", "and").
pub const BETWEEN: [&str; 7] = [
    "between",
    "and",
    "между",
    "и",
    "мен",
    "аралығында",
    "арасында",
];

/// After a year ending in 0, these make it a decade: "1990-е", "1990 жылдар", "1990-يىللار".
pub const DECADE: [&str; 9] = [
    "е",
    "х",
    "жылдар",
    "жылдары",
    "жылдарда",
    "жылдардың",
    "يىللار",
    "يىللاردا",
    "يىللىرى",
];

/// Endings glued to a word or a year: Kazakh and Uyghur ablative ("from") and Uyghur
/// terminative ("until"). "2017-жылдан" is "from 2017", "2019-يىلىغىچە" "until 2019".
pub const FROM_ENDINGS: [&str; 8] = ["дан", "ден", "тан", "тен", "нан", "нен", "دىن", "تىن"];
pub const TO_ENDINGS: [&str; 4] = ["غىچە", "قىچە", "گىچە", "كىچە"];

/// Chinese markers, rewritten into the words above before reading ("2018年春" → "2018 spring").
pub const HAN: [(&str, &str); 24] = [
    ("年代", "s "),
    ("大约", " about "),
    ("大概", " about "),
    ("左右", " about "),
    ("前后", " about "),
    ("约", " about "),
    ("可能", " maybe "),
    ("也许", " maybe "),
    ("不确定", " maybe "),
    ("以来", " since "),
    ("以后", " since "),
    ("之后", " since "),
    ("以前", " before "),
    ("之前", " before "),
    ("之间", " between "),
    ("从", " from "),
    ("自", " from "),
    ("起", " since "),
    ("至", " to "),
    ("到", " to "),
    ("春", " spring "),
    ("夏", " summer "),
    ("秋", " autumn "),
    ("冬", " winter "),
];

/// Chinese date characters: after digits, `年` ends a year, `月` a month, `日`/`号` a day.
pub const HAN_SEPARATORS: [char; 9] = ['年', '月', '日', '号', '天', '季', '（', '）', '、'];

/// The month a word names (1–12), by stem.
pub fn month_of(word: &str) -> Option<u8> {
    let word = word.trim_end_matches('.');
    if word.chars().count() < 3 {
        return None;
    }
    let found = MONTHS
        .iter()
        .position(|stems| stems.iter().any(|s| word.starts_with(s)))?;
    u8::try_from(found + 1).ok()
}

/// The season a word names, as its English word.
pub fn season_of(word: &str) -> Option<&'static str> {
    SEASONS
        .iter()
        .find(|(_, stems)| stems.iter().any(|s| word.starts_with(s)))
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use crate::datetext::understand_date;
    use std::collections::HashMap;

    fn read(typed: &str) -> String {
        understand_date(typed).map_or_else(|e| format!("error: {e}"), |r| r.edtf)
    }

    /// An ICU message of the catalogs with plain `{name}` arguments filled in.
    fn fill(template: &str, args: &[(&str, &str)]) -> String {
        args.iter().fold(template.to_string(), |t, (k, v)| {
            t.replace(&format!("{{{k}}}"), v)
        })
    }

    #[test]
    fn what_the_app_shows_in_each_language_reads_back_to_the_same_date() {
        let catalogs = [
            ("en", include_str!("../ui/src/locales/en.json")),
            ("kk", include_str!("../ui/src/locales/kk.json")),
            ("ru", include_str!("../ui/src/locales/ru.json")),
            ("ug", include_str!("../ui/src/locales/ug.json")),
            ("zh-Hans", include_str!("../ui/src/locales/zh-Hans.json")),
        ];
        for (lang, text) in catalogs {
            let c: HashMap<String, String> = serde_json::from_str(text).unwrap_or_default();
            let m = |k: &str| c.get(k).cloned().unwrap_or_default();
            let year = |y: &str| fill(&m("edtf.year"), &[("year", y)]);
            let spring = fill(&m("edtf.spring"), &[("year", "2018")]);
            let cases = [
                (year("2018"), "2018"),
                (spring.clone(), "2018-21"),
                (fill(&m("edtf.summer"), &[("year", "2018")]), "2018-22"),
                (fill(&m("edtf.autumn"), &[("year", "2018")]), "2018-23"),
                (fill(&m("edtf.winter"), &[("year", "2018")]), "2018-24"),
                (fill(&m("edtf.decade"), &[("start", "1990")]), "199X"),
                (
                    fill(&m("edtf.approximate"), &[("date", &year("1990"))]),
                    "1990~",
                ),
                (
                    fill(&m("edtf.uncertain"), &[("date", &year("2018"))]),
                    "2018?",
                ),
                (
                    fill(&m("edtf.approximateUncertain"), &[("date", &year("1990"))]),
                    "1990%",
                ),
                (
                    fill(
                        &m("edtf.between"),
                        &[("start", &year("2017")), ("end", &year("2019"))],
                    ),
                    "2017/2019",
                ),
                (fill(&m("edtf.since"), &[("start", &spring)]), "2018-21/.."),
                (fill(&m("edtf.until"), &[("end", &year("2019"))]), "../2019"),
                (
                    fill(&m("edtf.fromUnknownEnd"), &[("start", &year("2017"))]),
                    "2017/",
                ),
                (
                    fill(&m("edtf.unknownStartUntil"), &[("end", &year("2019"))]),
                    "/2019",
                ),
            ];
            for (typed, want) in cases {
                assert_eq!(read(&typed), want, "{lang}: {typed:?}");
            }
        }
    }

    #[test]
    fn dates_as_each_language_writes_them() {
        for (typed, want) in [
            // Russian: case endings, abbreviations, "г." and "года".
            ("март 2018 г.", "2018-03"),
            ("5 марта 2018 г.", "2018-03-05"),
            ("1 мар. 2018 г.", "2018-03-01"),
            ("весной 2018 года", "2018-21"),
            ("в 2018 году", "2018"),
            ("с 2017 по 2019", "2017/2019"),
            ("с апреля 2017", "2017-04/.."),
            ("до 2019 года", "../2019"),
            ("около 1990 г.", "1990~"),
            ("возможно, зимой 2017", "2017-24?"),
            ("1990-е годы", "199X"),
            ("2017–2019", "2017/2019"),
            // Kazakh: year first, glued endings.
            ("2018 ж. наурыз", "2018-03"),
            ("2018 ж. 5 наурыз", "2018-03-05"),
            ("2018 ж. 1 нау.", "2018-03-01"),
            ("2018 жылдың көктемінде", "2018-21"),
            ("2017 жылдан 2019 жылға дейін", "2017/2019"),
            ("2017-жылдан бастап", "2017/.."),
            ("шамамен 1990 ж.", "1990~"),
            ("1990-жылдары", "199X"),
            // Uyghur: "2018-يىلى", day-month with a hyphen, glued endings.
            ("مارت 2018", "2018-03"),
            ("5-مارت، 2018", "2018-03-05"),
            ("2018-يىلى 5-مارت", "2018-03-05"),
            ("2018-يىلى ئەتىيازدا", "2018-21"),
            ("2017-يىلىدىن 2019-يىلىغىچە", "2017/2019"),
            ("تەخمىنەن 1990-يىلى", "1990~"),
            ("1990-يىللاردا", "199X"),
            // Chinese.
            ("2018年3月", "2018-03"),
            ("2018年3月5日", "2018-03-05"),
            ("2018年春天", "2018-21"),
            ("约1990年", "1990~"),
            ("1990年左右", "1990~"),
            ("从2017年到2019年", "2017/2019"),
            ("2019年以前", "../2019"),
            ("2018年4月以后", "2018-04/.."),
            ("1990年代", "199X"),
            // English forms the first reading does not take.
            ("the 1990s", "199X"),
            ("until 2019", "../2019"),
        ] {
            assert_eq!(read(typed), want, "{typed:?}");
        }
    }

    #[test]
    fn what_is_not_a_date_in_any_language_is_refused() {
        for typed in [
            "весной когда-то",
            "наурызда",
            "2018年13月",
            "с 2019 по 2017",
            "ertaŋ",
            "2017 2018 2019",
            "مارت مارت",
            "от до",
        ] {
            assert!(
                read(typed).starts_with("error"),
                "{typed:?} → {}",
                read(typed)
            );
        }
    }

    #[test]
    fn any_pair_of_date_words_is_read_or_refused_never_a_crash() {
        let mut all: Vec<&str> = vec!["2018", "1990", "5", "31", "-", "2018-03", "(", "年", "月"];
        for list in [
            &super::ABOUT[..],
            &super::MAYBE,
            &super::SKIP,
            &super::FROM,
            &super::TO,
        ] {
            all.extend(list.iter().take(6));
        }
        all.extend(super::BETWEEN);
        all.extend(super::DECADE);
        all.extend(super::MONTHS.iter().map(|m| m[1]));
        let mut read_some = 0;
        for a in &all {
            for b in &all {
                for text in [
                    format!("{a} {b}"),
                    format!("{a}{b}"),
                    format!("{b} 2018 {a}"),
                ] {
                    read_some += usize::from(understand_date(&text).is_ok());
                }
            }
        }
        assert!(read_some > 100, "{read_some}");
    }
}
