//! Splits an mbox file (Gmail Takeout writes mboxrd) into messages. Pure.

/// True when the bytes look like an mbox rather than a single message.
pub fn is_mbox(bytes: &[u8]) -> bool {
    bytes.starts_with(b"From ")
}

/// Messages in order, with the `From ` separator line removed and mboxrd quoting undone
/// (`>From ` -> `From `, `>>From ` -> `>From `).
pub fn split(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut previous_blank = true;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") && previous_blank {
            if let Some(m) = current.take() {
                out.push(trim_separator_blank(m));
            }
            current = Some(Vec::new());
            previous_blank = false;
            continue;
        }
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        previous_blank = content.is_empty() || content == b"\r";
        if let Some(m) = current.as_mut() {
            let quoted = line.iter().take_while(|b| **b == b'>').count();
            if quoted > 0 && line[quoted..].starts_with(b"From ") {
                m.extend_from_slice(&line[1..]);
            } else {
                m.extend_from_slice(line);
            }
        }
    }
    if let Some(m) = current {
        out.push(trim_separator_blank(m));
    }
    out
}

/// The blank line before the next `From ` belongs to the format, not to the message.
fn trim_separator_blank(mut m: Vec<u8>) -> Vec<u8> {
    if m.ends_with(b"\r\n\r\n") {
        m.truncate(m.len() - 2);
    } else if m.ends_with(b"\n\n") {
        m.truncate(m.len() - 1);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_unquotes() {
        let mbox = b"From a@x Thu Mar 12 10:00:00 2026\nSubject: satu\n\n>From the start\n>>From quoted\n\nFrom b@x Thu Mar 12 11:00:00 2026\nSubject: dua\n\nisi\n";
        let msgs = split(mbox);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0],
            b"Subject: satu\n\nFrom the start\n>From quoted\n".to_vec()
        );
        assert_eq!(msgs[1], b"Subject: dua\n\nisi\n".to_vec());
        assert!(is_mbox(mbox));
        assert!(!is_mbox(b"Subject: x\n\ny"));
    }

    #[test]
    fn from_inside_a_paragraph_is_not_a_separator() {
        let mbox = b"From a@x Thu Mar 12 10:00:00 2026\nSubject: satu\n\nbaris\nFrom here on\n";
        assert_eq!(split(mbox).len(), 1);
    }
}
