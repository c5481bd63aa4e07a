//! Custom menus: reading a menu file or body (TOML or JSON, the WeChat button model) with
//! errors that point at the button ([`file`](mod@file)), and showing the difference between two
//! menus ([`diff`]). The limits themselves are `wechat_api::Menu::validate`.
pub mod diff;
pub mod file;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use wechat_api::{Menu, MenuView};

pub use diff::diff_lines;
pub use file::{parse, read, Format, MenuFileError};

/// A live menu as JSON: `{"source": "api" | "console" | "none", "menu": {...} | null}`
/// (`console`: set in the admin console, shown as `get_current_selfmenu_info` has it).
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveMenu {
    /// where the live menu comes from
    pub source: MenuSource,
    /// the menu: WeChat's button model for `api`, `get_current_selfmenu_info`'s
    /// `selfmenu_info` for `console`, null for `none`
    #[schema(schema_with = live_menu_schema)]
    pub menu: Option<Value>,
}

/// Where a live menu comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MenuSource {
    /// created through the API
    Api,
    /// set in the admin console
    Console,
    /// no menu
    None,
}

/// `menu` of [`LiveMenu`]: any object (a console menu has its own shape) or null.
fn live_menu_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::Object,
            utoipa::openapi::schema::Type::Null,
        ]))
        .build()
}

/// The JSON view of a live menu.
pub fn view_json(view: &MenuView) -> LiveMenu {
    let (source, menu) = match view {
        MenuView::Api(menu) => (MenuSource::Api, Some(menu_value(menu))),
        MenuView::Console(menu) => (MenuSource::Console, Some(menu.clone())),
        MenuView::None => (MenuSource::None, None),
    };
    LiveMenu { source, menu }
}

/// A menu as JSON (the button model serialises infallibly).
pub fn menu_value(menu: &Menu) -> Value {
    serde_json::to_value(menu).unwrap_or(Value::Null)
}
