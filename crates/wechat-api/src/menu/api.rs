//! Menu calls: `menu/create`, `menu/get` (falling back to `get_current_selfmenu_info`) and
//! `menu/delete`.

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::Menu;
use crate::client::ApiClient;
use crate::error::ApiError;

/// WeChat's "no menu" code from `menu/get`.
const NO_MENU: i64 = 46003;

/// The live menu as WeChat shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum MenuView {
    /// A menu created through the API (`menu/get`).
    Api(Menu),
    /// A menu set in the admin console, as `get_current_selfmenu_info` shows it (its
    /// `selfmenu_info`); console types such as `text` or `news` have no API equivalent.
    Console(Value),
    /// No menu at all.
    None,
}

#[derive(Deserialize)]
struct GetAnswer {
    menu: Menu,
}

impl ApiClient {
    /// Validates `menu` and replaces the live menu with it (`POST /cgi-bin/menu/create`).
    pub async fn create_menu(&self, menu: &Menu) -> Result<(), ApiError> {
        menu.validate()?;
        let body = serde_json::to_value(menu).map_err(|err| ApiError::Decode {
            path: "/cgi-bin/menu/create".into(),
            reason: err.to_string(),
            source: Some(err),
        })?;
        self.authed(Method::POST, "cgi-bin/menu/create", &[], Some(&body))
            .await
            .map(drop)
    }

    /// The live menu: `menu/get`, and on 46003 `get_current_selfmenu_info` (which also shows
    /// a menu made in the admin console).
    pub async fn menu(&self) -> Result<MenuView, ApiError> {
        match self
            .authed_json::<GetAnswer>(Method::GET, "cgi-bin/menu/get", &[], None)
            .await
        {
            Ok(answer) => return Ok(MenuView::Api(answer.menu)),
            Err(err) if err.code() == Some(NO_MENU) => {}
            Err(err) => return Err(err),
        }
        let info = self
            .authed(Method::GET, "cgi-bin/get_current_selfmenu_info", &[], None)
            .await?;
        let open = info.get("is_menu_open").and_then(Value::as_i64) == Some(1);
        match info.get("selfmenu_info") {
            Some(menu) if open => Ok(MenuView::Console(menu.clone())),
            _ => Ok(MenuView::None),
        }
    }

    /// Deletes the live menu, conditional menus included (`GET /cgi-bin/menu/delete`).
    pub async fn delete_menu(&self) -> Result<(), ApiError> {
        self.authed(Method::GET, "cgi-bin/menu/delete", &[], None)
            .await
            .map(drop)
    }
}
