//! A deterministic corpus of complaint emails with realistic shapes and sizes, shared by
//! the `parse` and `backlog` benches: most messages 3–30 KB (Gmail-like headers, a plain
//! or HTML body in Bahasa Indonesia), and one in twenty carrying a 200 KB–2 MB photo.
//! Generated, not stored, so the repository stays small and every run sees the same bytes.
//! Line ends are CRLF, as an IMAP server hands messages out.

/// One message in twenty (5 %) carries a photo.
const PHOTO_EVERY: usize = 20;

/// A small, fast, seedable PRNG (splitmix64): no extra crate, same corpus on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() - 1)]
    }
}

const NAMES: &[&str] = &[
    "Siti Aminah",
    "Budi Santoso",
    "Dewi Lestari",
    "Ahmad Fauzi",
    "Nur Hidayah",
    "Slamet Riyadi",
    "Rina Wulandari",
    "Moh. Hasan",
    "Sri Rahayu",
    "Agus Salim",
];

const SUBJECTS: &[&str] = &[
    "Antrean pendaftaran terlalu lama",
    "Obat di apotek habis",
    "Petugas loket kurang ramah",
    "Saran: tambah kursi di ruang tunggu",
    "Terima kasih untuk bidan desa",
    "Jadwal posyandu bulan depan?",
    "Toilet ruang tunggu kotor",
    "Hasil laboratorium belum keluar",
    "Keluhan pelayanan BPJS",
    "Ambulans datang terlambat",
];

const SENTENCES: &[&str] = &[
    "Saya datang ke puskesmas pukul tujuh pagi dan baru dipanggil menjelang pukul sepuluh.",
    "Anak saya demam tinggi sejak kemarin malam, tetapi obat penurun panas di apotek habis.",
    "Petugas di loket pendaftaran berbicara dengan nada tinggi kepada ibu-ibu yang bertanya.",
    "Mohon ruang tunggu diberi kipas angin karena sangat panas pada siang hari.",
    "Kami berterima kasih kepada bidan desa yang datang malam-malam membantu persalinan.",
    "Apakah posyandu lansia di Desa Kademangan tetap dilaksanakan bulan depan?",
    "Toilet di dekat ruang tunggu tidak ada airnya dan baunya sampai ke ruang periksa.",
    "Hasil pemeriksaan darah ibu saya sudah satu minggu belum juga diberikan.",
    "Kartu BPJS saya ditolak padahal iurannya sudah dibayar sampai bulan ini.",
    "Tolong hubungi saya di nomor 0812-3456-7890 kalau perlu keterangan tambahan.",
    "Parkir motor penuh sehingga pasien lansia harus berjalan jauh dari jalan raya.",
    "Dokter gigi hanya praktik dua hari seminggu, antreannya sangat panjang.",
];

/// The `i`-th message of the corpus (deterministic in `i` and `seed`). `date` is the
/// RFC 5322 Date header value to use; the sender is unique per `i`.
pub fn message(i: usize, seed: u64, date: &str) -> Vec<u8> {
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let name = *rng.pick(NAMES);
    let from = format!("warga{i}@desa.test");
    let subject = *rng.pick(SUBJECTS);
    // Message sizes of ordinary mail: 3–30 KB, skewed towards the small end.
    let target = if rng.range(0, 2) == 0 {
        rng.range(3_000, 8_000)
    } else {
        rng.range(3_000, 30_000)
    };
    let mut m = headers(&mut rng, i, name, &from, subject, date);
    let shape = rng.range(0, 99);
    let text = body_text(&mut rng, target.saturating_sub(m.len()) / 2 + 400);
    if i % PHOTO_EVERY == PHOTO_EVERY / 3 {
        let photo = rng.range(200_000, 2_000_000);
        m.push_str(
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"000mixed\"\r\n\r\n",
        );
        m.push_str("--000mixed\r\n");
        alternative(&mut m, &text);
        m.push_str(
            "--000mixed\r\nContent-Type: image/jpeg; name=\"IMG_20261120_0815.jpg\"\r\n\
                    Content-Disposition: attachment; filename=\"IMG_20261120_0815.jpg\"\r\n\
                    Content-Transfer-Encoding: base64\r\n\r\n",
        );
        base64_lines(&mut m, &mut rng, photo);
        m.push_str("--000mixed--\r\n");
    } else if shape < 55 {
        // What Gmail and most phones send: text and HTML alternatives.
        m.push_str("MIME-Version: 1.0\r\n");
        alternative(&mut m, &text);
    } else if shape < 75 {
        m.push_str(
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\
                    Content-Transfer-Encoding: 8bit\r\n\r\n",
        );
        m.push_str(&text);
    } else if shape < 95 {
        m.push_str(
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\
                    Content-Transfer-Encoding: quoted-printable\r\n\r\n",
        );
        m.push_str(&quoted_printable(&text));
    } else {
        m.push_str("MIME-Version: 1.0\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n");
        m.push_str(&html(&text));
    }
    m.into_bytes()
}

/// Headers of the size real mail has (~2 KB: Received chain, DKIM, ARC, Gmail's own).
fn headers(rng: &mut Rng, i: usize, name: &str, from: &str, subject: &str, date: &str) -> String {
    let id = rng.next_u64();
    let sig: String = (0..344)
        .map(|_| (b'A' + (rng.next_u64() % 26) as u8) as char)
        .collect();
    let subject = if i % 3 == 0 {
        // Phones often send subjects RFC 2047 encoded.
        format!("=?UTF-8?B?{}?=", base64(subject.as_bytes()))
    } else {
        subject.to_string()
    };
    format!(
        "Received: by 2002:a05:6a10:8f0e:b0:5a1:{i:x} with SMTP id k14csp{id:x};\r\n        {date}\r\n\
         X-Received: by 2002:a17:90b:1e0b:b0:2e2:{i:x} with SMTP id pg11mr{id:x}.5.{i};\r\n        {date}\r\n\
         ARC-Seal: i=1; a=rsa-sha256; t=1763857200; cv=none;\r\n        d=google.com; s=arc-20240605;\r\n        b={}\r\n\
         ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20240605;\r\n        h=to:subject:message-id:date:from:mime-version:dkim-signature;\r\n        bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n        b={}\r\n\
         Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id {id:x}.{i}.2026.11.20.08.15.00\r\n        for <kademangan.puskesmas@gmail.com>\r\n        (Google Transport Security);\r\n        {date}\r\n\
         DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n        d=desa.test; s=20230601; t=1763857200; x=1764462000;\r\n        h=to:subject:message-id:date:from:mime-version:from:to:cc:subject:date:message-id:reply-to;\r\n        bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n        b={}\r\n\
         X-Gm-Message-State: AOJu0Yz{id:x}\r\n\
         X-Google-Smtp-Source: AGHT+IE{id:x}\r\n\
         From: {name} <{from}>\r\n\
         Date: {date}\r\n\
         Message-ID: <CAbench{i}.{id:x}@mail.gmail.test>\r\n\
         Subject: {subject}\r\n\
         To: Puskesmas Kademangan <puskesmas@example.test>\r\n",
        &sig[..172],
        &sig[..172],
        &sig[..344],
    )
}

fn body_text(rng: &mut Rng, bytes: usize) -> String {
    let mut s = String::from("Selamat pagi Bapak/Ibu petugas Puskesmas Kademangan,\r\n\r\n");
    while s.len() < bytes {
        let mut line = String::new();
        for _ in 0..rng.range(2, 4) {
            let sentence = *rng.pick(SENTENCES);
            line.push_str(sentence);
            line.push(' ');
        }
        s.push_str(line.trim_end());
        s.push_str("\r\n\r\n");
    }
    s.push_str("Terima kasih.\r\nWarga Kademangan\r\n");
    s
}

fn alternative(m: &mut String, text: &str) {
    m.push_str("Content-Type: multipart/alternative; boundary=\"000alt\"\r\n\r\n--000alt\r\n\
                Content-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
    m.push_str(&quoted_printable(text));
    m.push_str(
        "\r\n--000alt\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\
                Content-Transfer-Encoding: quoted-printable\r\n\r\n",
    );
    m.push_str(&quoted_printable(&html(text)));
    m.push_str("\r\n--000alt--\r\n");
}

fn html(text: &str) -> String {
    let mut h = String::from("<div dir=\"ltr\">");
    for para in text.split("\r\n\r\n").filter(|p| !p.is_empty()) {
        h.push_str("<div>");
        h.push_str(&para.replace("\r\n", "<br>"));
        h.push_str("</div><div><br></div>");
    }
    h.push_str("</div>\r\n");
    h
}

/// Soft line breaks at 76 columns and `=` escaped, as Gmail writes it.
fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 70 * 3);
    for line in text.split("\r\n") {
        let mut col = 0;
        for c in line.chars() {
            let piece = match c {
                '=' => "=3D".to_string(),
                c if c.is_ascii() => c.to_string(),
                c => {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf)
                        .bytes()
                        .map(|b| format!("={b:02X}"))
                        .collect()
                }
            };
            if col + piece.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            col += piece.len();
            out.push_str(&piece);
        }
        out.push_str("\r\n");
    }
    out
}

/// `size` random bytes behind a JPEG marker, base64 in 76-column lines.
fn base64_lines(m: &mut String, rng: &mut Rng, size: usize) {
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(&[
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ]);
    while bytes.len() < size {
        bytes.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    bytes.truncate(size);
    let encoded = base64(&bytes);
    m.reserve(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        m.push_str(std::str::from_utf8(chunk).unwrap());
        m.push_str("\r\n");
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}
