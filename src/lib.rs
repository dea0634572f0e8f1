//! kuvend: a federated ActivityPub server for civil-society organisations.
//!
//! Layers, with dependencies in one direction:
//! `http` → `service` → {`federation`, `storage`, `delivery`}.

pub mod app;
pub mod cli;
pub mod config;
pub mod context;
pub mod delivery;
pub mod federation;
pub mod http;
pub mod limits;
pub mod media;
pub mod memory;
pub mod model;
pub mod sanitize;
pub mod service;
pub mod storage;
// The fuzz targets' entry points (fuzz/); not an API.
#[doc(hidden)]
pub mod fuzzing;
