// wxgate admin dashboard. Reads the admin API with the token the user typed (kept in
// sessionStorage, sent as a bearer token). Everything from the API is rendered with
// textContent; no HTML is ever built from data.
"use strict";

(() => {
  const TOKEN_KEY = "wxgate.adminToken";
  const REFRESH_MS = 5000;
  const EVENTS_LIMIT = 20;
  const FOLLOWERS_LIMIT = 20;

  const $ = (id) => document.getElementById(id);

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    timer: null,
    ticking: false,
    eventsBefore: null, // null: the newest page
    followersAfter: null, // null: the first page
    followersNext: null,
    qrImages: new Map(), // "account\nscene\nticket" -> blob URL
    scenes: [], // the last `/api/stats` scenes
    days: null, // the last `/api/stats/daily` days
    account: "", // the account picked ("": every account, totals summed)
    several: false, // whether the gateway serves several accounts
  };
  const DAYS = 30;

  /** A non-2xx answer of the admin API, with its `{"error"}` text. */
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /**
   * An admin API call, scoped to the picked account (`options.account` overrides it: the
   * account of an item listed under "All accounts"); `/accounts` and `/open` are never scoped.
   */
  async function api(path, options) {
    const account = options && options.account !== undefined ? options.account : state.account;
    if (account && !path.startsWith("/accounts") && !path.startsWith("/open")) {
      path += (path.includes("?") ? "&" : "?") + "account=" + encodeURIComponent(account);
    }
    const resp = await fetch("/api" + path, {
      method: (options && options.method) || "GET",
      headers: { Authorization: "Bearer " + state.token },
      cache: "no-store",
    });
    if (resp.ok) return resp;
    let message = "HTTP " + resp.status;
    try {
      const body = await resp.json();
      if (body && typeof body.error === "string") message = body.error;
    } catch (_) {
      // not JSON: keep the status line
    }
    throw new ApiError(resp.status, message);
  }

  async function apiJson(path) {
    return (await api(path)).json();
  }

  /** An item's openid, prefixed with its account when every account is listed. */
  function who(item) {
    return state.several && !state.account && item.account
      ? item.account + " · " + item.openid
      : item.openid;
  }

  /** The account picker: shown only when the gateway serves several accounts. */
  async function loadAccounts() {
    let accounts = [];
    try {
      const page = await apiJson("/accounts");
      accounts = Array.isArray(page.accounts) ? page.accounts : [];
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) throw e;
    }
    const select = $("account");
    const all = document.createElement("option");
    all.value = "";
    all.textContent = "All accounts";
    const options = accounts.map((a) => {
      const option = document.createElement("option");
      option.value = String(a.name);
      option.textContent = String(a.name);
      return option;
    });
    select.replaceChildren(all, ...options);
    state.several = accounts.length > 1;
    if (!accounts.some((a) => a.name === state.account)) state.account = "";
    select.value = state.account;
    $("account-picker").hidden = !state.several;
  }

  // ---------- rendering helpers ----------

  function text(value) {
    return value === null || value === undefined || value === "" ? "–" : String(value);
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  /** The browser's offset from UTC at `d`, as "UTC+08:00". */
  function offset(d) {
    const minutes = -d.getTimezoneOffset();
    const sign = minutes < 0 ? "-" : "+";
    const abs = Math.abs(minutes);
    return "UTC" + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  /** An RFC 3339 time as local "YYYY-MM-DD HH:MM:SS UTC+hh:mm". */
  function when(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " " + offset(d);
  }

  /** "times in UTC+08:00 (Asia/Shanghai)": the zone the tables are shown in. */
  function zoneNote() {
    let name = "";
    try {
      name = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (_) {
      // no Intl: the offset alone
    }
    return "times in " + offset(new Date()) + (name ? " (" + name + ")" : "");
  }

  function cell(value, className) {
    const td = document.createElement("td");
    td.textContent = text(value);
    if (className) td.className = className;
    return td;
  }

  function timeCell(iso) {
    const td = cell(when(iso), "time");
    if (iso) td.title = String(iso);
    return td;
  }

  function badgeCell(yes, yesText, noText) {
    const td = document.createElement("td");
    const span = document.createElement("span");
    span.className = yes ? "badge yes" : "badge no";
    span.textContent = yes ? yesText : noText;
    td.append(span);
    return td;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }

  /** Rows into a table; each cell labelled with its column (shown on narrow screens). */
  function fill(table, emptyId, rows) {
    const heads = [...$(table).tHead.rows[0].cells].map((th) => th.textContent);
    for (const tr of rows) {
      [...tr.cells].forEach((td, i) => {
        if (heads[i]) td.dataset.label = heads[i];
      });
    }
    $(table).tBodies[0].replaceChildren(...rows);
    $(emptyId).hidden = rows.length > 0;
  }

  function setStatus(message, bad) {
    const status = $("status");
    status.textContent = message;
    status.classList.toggle("bad", Boolean(bad));
  }

  function showError(message) {
    const error = $("error");
    error.textContent = message;
    error.hidden = !message;
  }

  // ---------- sections ----------

  async function loadStats() {
    const stats = await apiJson("/stats");
    const followers = stats.followers || {};
    $("total-subscribed").textContent = text(followers.subscribed);
    $("total-followers").textContent = text(followers.total);
    $("total-events").textContent = text(stats.events);
    const scenes = Array.isArray(stats.scenes) ? stats.scenes : [];
    state.scenes = scenes;
    fill("scenes", "scenes-empty", scenes.map((s) => row([
      cell(state.several && !state.account && s.account ? s.account + " · " + s.scene : s.scene,
        "mono"),
      cell(s.label),
      cell(s.subscribes, "num"),
      cell(s.scans, "num"),
      cell(s.unsubscribes, "num"),
    ])));
    scenePicker(scenes);
    drawFunnel();
  }

  /** The scene picker's options: "All scenes" and every scene, the choice kept. */
  function scenePicker(scenes) {
    const select = $("chart-scene");
    const chosen = select.value;
    const options = [new Option("All scenes", "")];
    for (const s of scenes) {
      const name = String(s.scene);
      options.push(new Option(s.label ? name + " – " + s.label : name, name));
    }
    select.replaceChildren(...options);
    select.value = scenes.some((s) => String(s.scene) === chosen) ? chosen : "";
  }

  function drawFunnel() {
    const chosen = $("chart-scene").value;
    const scenes = state.scenes.filter((s) => chosen === "" || String(s.scene) === chosen);
    window.wxgateCharts.drawFunnel($("funnel-chart"), scenes);
    $("funnel-empty").hidden = scenes.length > 0;
  }

  async function loadDaily() {
    const scene = $("chart-scene").value;
    let path = "/stats/daily?days=" + DAYS;
    if (scene !== "") path += "&scene=" + encodeURIComponent(scene);
    const page = await apiJson(path);
    state.days = Array.isArray(page.days) ? page.days : [];
    drawDaily();
  }

  function drawDaily() {
    if (state.days === null) return;
    const box = $("daily-chart");
    window.wxgateCharts.drawDaily(box, state.days);
    box.dataset.scene = $("chart-scene").value;
    $("daily-summary").textContent = window.wxgateCharts.summary(state.days);
  }

  /** What a push said: a user's text, a location, an event and its key, or the type. */
  function message(e) {
    const f = e.fields || {};
    if (e.msg_type === "text" && typeof f.Content === "string") return f.Content;
    if (e.msg_type === "location" && f.Location_X !== undefined) {
      return String(f.Location_X) + ", " + String(f.Location_Y) + (f.Label ? " " + f.Label : "");
    }
    if (e.msg_type === "link" && typeof f.Title === "string") return f.Title;
    if (e.event) return e.event_key ? e.event + " " + e.event_key : e.event;
    return "[" + e.msg_type + "]";
  }

  /** A reply's text (a text reply's Content, else its MsgType and first title), from its XML. */
  function replyText(xml) {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length > 0) return "reply";
    const first = (name) => {
      const node = doc.getElementsByTagName(name)[0];
      return node ? node.textContent : "";
    };
    const type = first("MsgType");
    if (type === "text") return first("Content");
    const heading = first("Title");
    return "[" + (type || "reply") + "]" + (heading ? " " + heading : "");
  }

  /** The reply: its text, the raw XML shown on click; "–" for `success`. */
  function replyCell(xml) {
    const td = document.createElement("td");
    td.className = "reply";
    if (typeof xml !== "string") {
      td.textContent = "–";
      return td;
    }
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = replyText(xml);
    summary.title = "show the reply XML";
    const pre = document.createElement("pre");
    pre.className = "xml";
    pre.textContent = xml;
    details.append(summary, pre);
    td.append(details);
    return td;
  }

  async function loadEvents() {
    let path = "/events?limit=" + EVENTS_LIMIT;
    if (state.eventsBefore !== null) path += "&before=" + encodeURIComponent(state.eventsBefore);
    const page = await apiJson(path);
    const events = Array.isArray(page.events) ? page.events : [];
    fill("events", "events-empty", events.map((e) => row([
      timeCell(e.received_at),
      cell(who(e), "mono"),
      cell(e.event ? e.msg_type + " / " + e.event : e.msg_type),
      cell(message(e), "message"),
      replyCell(e.reply),
    ])));
    const last = events.length > 0 ? events[events.length - 1].id : null;
    $("events-older").disabled = events.length < EVENTS_LIMIT || last === null;
    $("events-older").dataset.before = last === null ? "" : String(last);
    $("events-newest").disabled = state.eventsBefore === null;
  }

  function location(l) {
    if (!l || typeof l.latitude !== "number" || typeof l.longitude !== "number") return null;
    return l.latitude.toFixed(4) + ", " + l.longitude.toFixed(4);
  }

  async function loadFollowers() {
    let path = "/followers?limit=" + FOLLOWERS_LIMIT;
    if (state.followersAfter !== null) path += "&after=" + encodeURIComponent(state.followersAfter);
    const page = await apiJson(path);
    const followers = Array.isArray(page.followers) ? page.followers : [];
    fill("followers", "followers-empty", followers.map((f) => {
      const forget = document.createElement("button");
      forget.type = "button";
      forget.className = "forget danger";
      forget.textContent = "Forget";
      forget.addEventListener("click", () => forgetFollower(String(f.openid), f.account));
      const action = document.createElement("td");
      action.className = "action";
      action.append(forget);
      return row([
        cell(who(f), "mono"),
        badgeCell(Boolean(f.subscribed), "yes", "no"),
        timeCell(f.subscribed_at),
        cell(f.scene, "mono"),
        cell(location(f.location)),
        timeCell(f.last_seen_at),
        action,
      ]);
    }));
    state.followersNext = typeof page.next === "string" ? page.next : null;
    $("followers-next").disabled = state.followersNext === null;
  }

  /** A QR code image: the SVG needs the bearer token, so it is fetched and shown as a blob. */
  async function qrImage(code) {
    const key = String(code.account || "") + "\n" + String(code.scene) + "\n" + String(code.ticket);
    if (!state.qrImages.has(key)) {
      const path = "/qrcodes/" + encodeURIComponent(String(code.scene)) + ".svg";
      const resp = await api(path, { account: code.account || state.account });
      const blob = await resp.blob();
      state.qrImages.set(key, URL.createObjectURL(new Blob([blob], { type: "image/svg+xml" })));
    }
    const img = document.createElement("img");
    img.className = "qr";
    img.alt = "QR code of scene " + String(code.scene);
    img.src = state.qrImages.get(key);
    return img;
  }

  function safeLink(url) {
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) return null;
    const a = document.createElement("a");
    a.href = url;
    a.textContent = "open";
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  async function loadQrcodes() {
    let page;
    try {
      page = await apiJson("/qrcodes");
    } catch (e) {
      // Not available in this gateway (404) or no WeChat API configured (503): no section.
      if (e instanceof ApiError && e.status !== 401) {
        $("qrcodes-section").hidden = true;
        return;
      }
      throw e;
    }
    const codes = Array.isArray(page.qrcodes) ? page.qrcodes : [];
    const rows = await Promise.all(codes.map(async (c) => {
      const image = document.createElement("td");
      try {
        image.append(await qrImage(c));
      } catch (_) {
        image.textContent = "–";
      }
      const link = document.createElement("td");
      const a = safeLink(c.show_url || c.url);
      if (a) link.append(a); else link.textContent = "–";
      return row([
        image,
        cell(c.scene, "mono"),
        cell(c.label),
        c.expires_at ? timeCell(c.expires_at) : cell("permanent"),
        cell(c.subscribes, "num"),
        cell(c.scans, "num"),
        link,
      ]);
    }));
    fill("qrcodes", "qrcodes-empty", rows);
    $("qrcodes-section").hidden = false;
  }

  /** The third-party platform's authorizers (a section only with [open_platform]). */
  async function loadPlatform() {
    let page;
    try {
      page = await apiJson("/open/authorizers");
    } catch (e) {
      if (e instanceof ApiError && e.status !== 401) {
        $("platform-section").hidden = true;
        return;
      }
      throw e;
    }
    const list = Array.isArray(page.authorizers) ? page.authorizers : [];
    const rows = list.map((a) => row([
      cell(a.appid, "mono"),
      cell(a.user_name, "mono"),
      cell(a.nick_name),
      cell(a.status),
      timeCell(a.authorized_at),
    ]));
    fill("authorizers", "authorizers-empty", rows);
    $("platform-section").hidden = false;
  }

  /** A fresh authorisation page (its pre_auth_code is single-use): the PC and mobile links. */
  async function authorisationLink() {
    const box = $("authorize-links");
    try {
      const urls = await apiJson("/open/authorize_url");
      const pc = safeLink(urls.pc_url);
      const mobile = safeLink(urls.mobile_url);
      const parts = [];
      if (pc) { pc.textContent = "PC (scan the QR code)"; parts.push(pc); }
      if (mobile) { mobile.textContent = "mobile (inside WeChat)"; parts.push(" · ", mobile); }
      box.replaceChildren(...parts);
      showError("");
    } catch (e) {
      failed(e);
    }
  }

  // ---------- actions ----------

  async function forgetFollower(openid, account) {
    if (!window.confirm("Forget follower " + openid + "?\n\nTheir events, location and " +
      "profile are deleted for good.")) {
      return;
    }
    try {
      await api("/followers/" + encodeURIComponent(openid), {
        method: "DELETE",
        account: account || state.account,
      });
      await Promise.all([loadFollowers(), loadStats(), loadEvents()]);
      showError("");
    } catch (e) {
      failed(e);
    }
  }

  async function refresh() {
    if (state.ticking) return;
    state.ticking = true;
    try {
      const work = [loadStats(), loadQrcodes(), loadDaily(), loadPlatform()];
      if (state.eventsBefore === null) work.push(loadEvents());
      await Promise.all(work);
      showError("");
      setStatus("Updated " + when(new Date().toISOString()), false);
    } catch (e) {
      failed(e);
    } finally {
      state.ticking = false;
    }
  }

  /** A failed call: a refused token sends the user back to the form; anything else is shown. */
  function failed(e) {
    if (e instanceof ApiError && e.status === 401) {
      signOut("Wrong admin token: " + e.message + ". Please enter it again.");
    } else if (e instanceof ApiError) {
      showError("The gateway answered " + e.status + ": " + e.message);
      setStatus("Error", true);
    } else {
      showError("Cannot reach the gateway: " + (e && e.message ? e.message : String(e)));
      setStatus("Offline", true);
    }
  }

  function signOut(message) {
    clearInterval(state.timer);
    state.timer = null;
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    for (const url of state.qrImages.values()) URL.revokeObjectURL(url);
    state.qrImages.clear();
    $("dashboard").hidden = true;
    $("sign-out").hidden = true;
    $("login").hidden = false;
    setStatus("", false);
    const error = $("login-error");
    error.textContent = message || "";
    error.hidden = !message;
    const input = $("token-input");
    input.value = "";
    input.focus();
  }

  /** Check the token with `/api/stats`, then show and fill the dashboard. */
  async function start() {
    $("token-submit").disabled = true;
    try {
      await loadStats();
      await loadAccounts();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        signOut("The admin API is disabled: set [admin] token in the gateway config.");
      } else if (e instanceof ApiError && e.status === 401) {
        failed(e);
      } else {
        signOut("Cannot sign in: " + (e && e.message ? e.message : String(e)));
      }
      return;
    } finally {
      $("token-submit").disabled = false;
    }
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $("login").hidden = true;
    $("login-error").hidden = true;
    $("dashboard").hidden = false;
    $("sign-out").hidden = false;
    state.eventsBefore = null;
    state.followersAfter = null;
    try {
      await Promise.all([loadEvents(), loadFollowers(), loadQrcodes(), loadDaily()]);
      setStatus("Updated " + when(new Date().toISOString()), false);
    } catch (e) {
      failed(e);
    }
    if (state.token !== null) state.timer = setInterval(refresh, REFRESH_MS);
  }

  function pageWith(action) {
    return async () => {
      try {
        await action();
        showError("");
      } catch (e) {
        failed(e);
      }
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const token = $("token-input").value.trim();
      if (!token) return;
      state.token = token;
      start();
    });
    $("sign-out").addEventListener("click", () => signOut(""));
    $("authorize-link").addEventListener("click", authorisationLink);
    $("account").addEventListener("change", pageWith(() => {
      state.account = $("account").value;
      state.eventsBefore = null;
      state.followersAfter = null;
      return Promise.all([loadStats(), loadEvents(), loadFollowers(), loadQrcodes(), loadDaily()]);
    }));
    $("zone").textContent = zoneNote();
    $("chart-scene").addEventListener("change", pageWith(() => {
      drawFunnel();
      return loadDaily();
    }));
    let width = 0;
    new ResizeObserver(() => {
      const now = $("daily-chart").clientWidth;
      if (now !== width) {
        width = now;
        drawDaily();
      }
    }).observe($("daily-chart"));
    $("events-older").addEventListener("click", pageWith(() => {
      state.eventsBefore = $("events-older").dataset.before || null;
      return loadEvents();
    }));
    $("events-newest").addEventListener("click", pageWith(() => {
      state.eventsBefore = null;
      return loadEvents();
    }));
    $("followers-next").addEventListener("click", pageWith(() => {
      state.followersAfter = state.followersNext;
      return loadFollowers();
    }));
    $("followers-first").addEventListener("click", pageWith(() => {
      state.followersAfter = null;
      return loadFollowers();
    }));
    if (state.token) start(); else signOut("");
  });
})();
