//! The fuzz targets' shared checks: the same as the configuration property tests'.

#[path = "../../tests/common/loaded_config.rs"]
mod loaded_config;

pub use loaded_config::load_and_check;
