//! Any bytes as a WhatsApp chat export (a `.txt` attached to a mail is hostile input too),
//! through `chat_export::parse` and `chat_export::complainant`. Nothing may panic or hang
//! (libFuzzer's -timeout reports a hang), and what comes out keeps its promises: no line
//! break or invisible mark in a text, author, attachment or party; messages in line order;
//! no more unreadable lines than lines; the complainant is never the centre.
//!
//! The bytes before the first NUL are the file name, the rest the export; without a NUL
//! it is all export, so the fixtures in tests/fixtures/whatsapp/ are seeds as they are.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pengaduan::mail::chat_export::{complainant, is_own, parse, MessageKind};

fn clean(what: &str, s: &str) {
    let marks = [
        '\r', '\u{feff}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202c}', '\u{2066}',
    ];
    if s.contains(marks) {
        panic!("{what} keeps a mark or CR: {s:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let (name, text) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (&[][..], data),
    };
    let name = String::from_utf8_lossy(name);
    let chat = parse(text, &name);

    let lines = String::from_utf8_lossy(text)
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r').count())
        .sum::<usize>();
    assert!(
        chat.unreadable_lines <= lines,
        "{} > {lines}",
        chat.unreadable_lines
    );
    assert!(chat.messages.windows(2).all(|w| w[0].line < w[1].line));
    if let Some(party) = &chat.party {
        clean("party", party);
        assert!(!party.trim().is_empty() && party.trim() == party);
    }
    for m in &chat.messages {
        assert!(m.line >= 1 && m.line <= lines);
        clean("text", &m.text);
        assert_eq!(m.text.trim_end(), m.text);
        if let Some(author) = &m.author {
            clean("author", author);
            assert!(!author.contains('\n') && !author.is_empty());
        }
        match (&m.attachment, m.kind) {
            (Some(file), MessageKind::Attachment) => {
                clean("attachment", file);
                assert!(!file.contains('\n') && !file.trim().is_empty());
            }
            (None, MessageKind::Attachment) | (Some(_), _) => {
                panic!("attachment {:?} with kind {:?}", m.attachment, m.kind)
            }
            (None, _) => {}
        }
    }

    let own = ["0823-0246-3093", "Puskesmas Kademangan"].map(String::from);
    if let Some(who) = complainant(&chat, &own) {
        assert!(
            !is_own(&who.author, &own),
            "the centre as complainant: {who:?}"
        );
    }
});
