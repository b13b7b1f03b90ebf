//! Hostile mail for tests/hostile.rs and tests/hostile_daemon.rs.

/// A plain-text complaint of at least `body_bytes` bytes.
pub fn big_complaint(from: &str, id: &str, body_bytes: usize) -> Vec<u8> {
    let mut raw = format!(
        "From: Besar <{from}>\r\nSubject: Lampiran besar\r\nMessage-ID: <{id}>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    .into_bytes();
    let line = b"Foto antrean terlampir, obat habis lagi hari ini di apotek.\r\n";
    while raw.len() < body_bytes {
        raw.extend_from_slice(line);
    }
    raw
}

/// A complaint with one text part and `n` small image attachments (Message-ID
/// `parts@example.test`).
pub fn many_parts(n: usize) -> Vec<u8> {
    let mut raw = String::from(
        "From: Banyak <banyak@example.test>\r\nSubject: Banyak lampiran\r\n\
         Message-ID: <parts@example.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nLihat lampiran.\r\n",
    );
    for i in 0..n {
        raw.push_str(&format!(
            "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"f{i}.png\"\r\n\r\nx\r\n"
        ));
    }
    raw.push_str("--b--\r\n");
    raw.into_bytes()
}
