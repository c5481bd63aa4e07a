//! Channel QR codes: creating one through the API and recording it ([`create()`]), and drawing
//! a recorded code locally from its `url` ([`render`]).
pub mod create;
pub mod render;

pub use create::{create, show_url, CreateError};
pub use render::{png, svg, RenderError};
