//! kuvend: a federated ActivityPub server for civil-society organisations.
//!
//! Layers, with dependencies in one direction:
//! `http` → `service` → {`federation`, `storage`, `delivery`}.

pub mod config;
pub mod storage;
pub mod context;
pub mod federation;
pub mod delivery;
pub mod service;
pub mod http;
pub mod app;
pub mod cli;
