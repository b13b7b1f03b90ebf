//! The read-only context of every use case (config, calendar, templates), built once from
//! the config by [`load_pipeline`] for the daemon, each CLI command, the web and the tests.

use anyhow::{Context, Result};

use crate::calendar::Calendar;
use crate::config::Config;
use crate::templates::Templates;

pub struct Pipeline {
    pub config: Config,
    pub calendar: Calendar,
    pub templates: Templates,
}

pub fn load_pipeline(config: &Config) -> Result<Pipeline> {
    let calendar = Calendar::load(&config.calendar.working_days, &config.calendar.holidays)
        .context("cannot load the holiday calendar (calendar.holidays)")?
        .with_cuti_bersama_as_working_days(config.calendar.cuti_bersama_is_working_day);
    let templates = Templates::from_config(config.templates_dir.as_deref())?;
    Ok(Pipeline {
        config: config.clone(),
        calendar,
        templates,
    })
}
