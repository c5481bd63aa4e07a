//! Custom menus: reading a menu file or body (TOML or JSON, the WeChat button model) with
//! errors that point at the button ([`file`]), and showing the difference between two
//! menus ([`diff`]). The limits themselves are `wechat_api::Menu::validate`.
pub mod diff;
pub mod file;

use serde_json::{json, Value};
use wechat_api::MenuView;

pub use diff::diff_lines;
pub use file::{parse, read, Format, MenuFileError};

/// A live menu as JSON: `{"source": "api" | "console" | "none", "menu": {...} | null}`
/// (`console`: set in the admin console, shown as `get_current_selfmenu_info` has it).
pub fn view_json(view: &MenuView) -> Value {
    match view {
        MenuView::Api(menu) => json!({ "source": "api", "menu": menu }),
        MenuView::Console(menu) => json!({ "source": "console", "menu": menu }),
        MenuView::None => json!({ "source": "none", "menu": null }),
    }
}
