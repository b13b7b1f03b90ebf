//! `pengaduan demo [--web]`: the whole pipeline on the sample mail built into the binary.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::watch;

use super::ingest::Tally;
use crate::app::ingest::{Arrival, Outcome};
use crate::app::{load_pipeline, views};
use crate::clock::Clock;
use crate::config::Config;
use crate::daemon::wait_for_signal;
use crate::mail::smtp::Transport;
use crate::outbox;
use crate::store::{ListFilter, MailboxPosition, SharedStore, Store};

/// The whole pipeline on bundled sample mail, with no account and no network: the samples
/// arrive "now", acknowledgements land as .eml files in DIR/outbox.
pub(crate) async fn demo(
    dir: &Path,
    web: Option<std::net::SocketAddr>,
    clock: Arc<dyn Clock>,
) -> Result<ExitCode> {
    if let Err(refusal) = prepare_demo_dir(dir) {
        eprintln!("{refusal}");
        return Ok(ExitCode::from(2));
    }
    let text = format!(
        "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
         contact = \"Telepon (0332) 424212 · WA center 0823-0246-3093\"\n[storage]\ndatabase = {:?}\n{}",
        dir.join(DEMO_DATABASE).display().to_string(),
        match web {
            Some(addr) => format!("[web]\nlisten = \"{addr}\"\n"),
            None => String::new(),
        }
    );
    let config = Config::parse(&text, Path::new("(demo)"))?;
    let pipeline = load_pipeline(&config)?;
    // Built into the binary (build.rs), so the demo runs from any folder.
    let samples = SAMPLE_MAIL;
    let mut store = Store::open(&config.storage.database)?;
    let mut tally = Tally::default();
    // Each sample twice: the second pass shows that nothing is registered or answered again.
    for pass in 0..2 {
        for (name, raw) in samples {
            let now = clock.now();
            let outcome = pipeline.ingest(
                &mut store,
                &Arrival {
                    raw,
                    position: MailboxPosition::default(),
                    received_at: now,
                    historical: false,
                },
                now,
            )?;
            if pass == 0 {
                tally.add(&outcome);
            } else {
                anyhow::ensure!(outcome == Outcome::Duplicate, "{name} was registered twice");
                tally.duplicates += 1;
            }
        }
    }
    let outbox_dir = dir.join(DEMO_OUTBOX);
    let shared = SharedStore::new(store);
    let sent = outbox::drain(&shared, &Transport::Directory(outbox_dir.clone()), &*clock).await?;
    let register = shared
        .run(|s| views::register_view(s, &ListFilter::ALL))
        .await?;
    crate::out!(
        "{}",
        pipeline.templates.render(
            "cli/demo.txt",
            &serde_json::json!({ "tally": tally, "sent": sent, "outbox": outbox_dir.display().to_string(), "database": config.storage.database.display().to_string() })
        )?
    );
    crate::out!(
        "{}",
        pipeline.templates.render("cli/complaints.txt", &register)?
    );
    match &config.web {
        Some(settings) => serve_demo(&config, settings, shared, clock).await,
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The sample mail of `samples/inbox/`, built into the binary by build.rs as (file name,
/// bytes), in name order.
static SAMPLE_MAIL: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/built_in_samples.rs"));

/// The file that marks a folder as made by `pengaduan demo`: only such a folder (or an
/// empty one) is used, and only the demo's own files are removed from it.
const DEMO_MARKER: &str = ".pengaduan-demo";
const DEMO_DATABASE: &str = "pengaduan.db";
const DEMO_OUTBOX: &str = "outbox";

/// Makes `dir` ready for a fresh demo without deleting anything the demo did not create:
/// a missing or empty folder is used, a folder with the marker has the demo's database
/// and the outbox's .eml files removed, anything else is refused with what to do.
fn prepare_demo_dir(dir: &Path) -> std::result::Result<(), String> {
    let shown = dir.display();
    let entries: Vec<std::ffi::OsString> = match std::fs::read_dir(dir) {
        Ok(list) => list.filter_map(|e| e.ok().map(|e| e.file_name())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("Folder demo {shown} tidak dapat dibaca: {e}")),
    };
    if !entries.is_empty() && !entries.iter().any(|n| n == DEMO_MARKER) {
        return Err(format!(
            "Folder {shown} sudah berisi berkas lain dan bukan folder demo sebelumnya; demo tidak \
             menghapus apa pun yang tidak dibuatnya. Pilih folder baru atau kosong, misalnya: \
             pengaduan demo --dir data/demo"
        ));
    }
    let remove = |path: &Path| match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{} tidak dapat dihapus: {e}", path.display()))
        }
        _ => Ok(()),
    };
    for suffix in ["", "-wal", "-shm"] {
        remove(&dir.join(format!("{DEMO_DATABASE}{suffix}")))?;
    }
    // The outbox holds the .eml files the demo wrote; anything else there stays.
    if let Ok(list) = std::fs::read_dir(dir.join(DEMO_OUTBOX)) {
        for path in list.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.extension().is_some_and(|x| x == "eml") {
                remove(&path)?;
            }
        }
    }
    std::fs::create_dir_all(dir)
        .and_then(|()| {
            std::fs::write(
                dir.join(DEMO_MARKER),
                "Folder ini dibuat oleh `pengaduan demo`; demo berikutnya hanya menghapus \
                 pengaduan.db dan outbox/*.eml di sini.\n",
            )
        })
        .map_err(|e| format!("Folder demo {shown} tidak dapat dibuat: {e}"))
}

/// `demo --web`: the dashboard over the demo register, with a fresh petugas account.
async fn serve_demo(
    config: &Config,
    settings: &crate::config::Web,
    store: SharedStore,
    clock: Arc<dyn Clock>,
) -> Result<ExitCode> {
    use crate::app::accounts::{self, Password};
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| {
            format!(
                "alamat {} sedang dipakai program lain (atau tidak dapat dipakai); pilih alamat \
                 lain, misalnya: pengaduan demo --web --listen 127.0.0.1:8081",
                settings.listen
            )
        })?;
    let password = accounts::random_token()?[..16].to_string();
    let name = crate::domain::AccountName::parse("demo")?;
    accounts::add(
        &store,
        &*clock,
        "demo",
        name,
        crate::domain::Role::Petugas,
        Password::new(&password)?,
    )
    .await?;
    let app = crate::web::WebApp::new(config, settings.clone(), store, clock)?;
    crate::outln!(
        "\nHalaman petugas: http://{}/ — masuk sebagai \"demo\" dengan kata sandi {password} \
         (Ctrl-C untuk berhenti).",
        settings.listen
    );
    let (stop, stopped) = watch::channel(false);
    let serving = tokio::spawn(crate::web::serve(listener, Arc::new(app), stopped));
    wait_for_signal().await?;
    let _ = stop.send(true);
    serving.await??;
    Ok(ExitCode::SUCCESS)
}
