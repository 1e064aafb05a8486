//! Data caps (`[[caps]]`): a placeholder until the caps work lands; it replaces this file.

pub mod report;
