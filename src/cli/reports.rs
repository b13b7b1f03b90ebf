//! `pengaduan register` and `pengaduan report`: parse, call `app`, write the file, say
//! where it is (in Bahasa Indonesia, for staff).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::app::load_pipeline;
use crate::app::{register, report};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::reports::register::Period;
use crate::reports::sheet::SheetFormat;
use crate::store::Store;

fn period(month: Option<&str>, span: Option<(NaiveDate, NaiveDate)>) -> Result<Period> {
    let p = match (month, span) {
        (Some(m), _) => Period::parse_month(m),
        (None, Some((from, to))) => Period::new(from, to),
        (None, None) => Err("give --month YYYY-MM, or --from and --to".to_string()),
    };
    p.map_err(anyhow::Error::msg)
}

pub fn register(
    config: &Config,
    month: Option<&str>,
    span: Option<(NaiveDate, NaiveDate)>,
    format: SheetFormat,
    out: Option<PathBuf>,
) -> Result<ExitCode> {
    let period = period(month, span)?;
    let pipeline = load_pipeline(config)?;
    let store = Store::open(&config.storage.database)?;
    let file = register::file(
        &store,
        &pipeline.calendar,
        &period,
        format,
        &config.puskesmas.name,
        SystemClock.now(),
    )?;
    let path = out.unwrap_or_else(|| PathBuf::from(&file.name));
    std::fs::write(&path, &file.bytes)
        .with_context(|| format!("cannot write the register to {}", path.display()))?;
    crate::outln!(
        "Buku register {} ({} pengaduan) tersimpan di {}.",
        period.label(),
        file.rows,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn report(config: &Config, month: &str, out: Option<PathBuf>) -> Result<ExitCode> {
    let month = Period::parse_month(month).map_err(anyhow::Error::msg)?;
    let pipeline = load_pipeline(config)?;
    let store = Store::open(&config.storage.database)?;
    let r = report::monthly(&store, &pipeline.calendar, &month, SystemClock.now())?;
    let html = report::printable(&pipeline.templates, config, &r)?;
    let path = out.unwrap_or_else(|| PathBuf::from(format!("laporan-{}.html", month.slug())));
    std::fs::write(&path, html)
        .with_context(|| format!("cannot write the report to {}", path.display()))?;
    crate::outln!(
        "Laporan {} ({} pengaduan) tersimpan di {}; buka di peramban untuk mencetaknya (A4).",
        r.period,
        r.total,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
