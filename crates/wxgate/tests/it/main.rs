//! Black-box integration tests of `wxgate serve`: every test starts the real server on a real
//! socket (in process, or the real binary) with its own temp dir and database.
mod helpers;
#[path = "../common/postgres.rs"]
mod postgres;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/pushes.rs"]
mod pushes;
#[path = "../common/spawn.rs"]
mod spawn;

mod admin;
mod cli;
mod deadline;
mod durability;
mod endpoint;
mod install;
mod logging;
mod newcomer;
mod papercuts;
mod real_world;
mod replays;
mod retries;
mod rules;
mod storage;
mod tokens;
mod vectors;
mod xml_chars;
