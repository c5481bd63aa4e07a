// wxgate admin dashboard: the charts, drawn as inline SVG from the admin API's figures
// (no library, nothing fetched from elsewhere; the page's CSP stays strict). Every bar
// carries its figure in data attributes (data-day / data-scene, data-series, data-value), so
// what is drawn can be checked against the API. Exposes `window.wxgateCharts`.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const HEIGHT = 220; // px of the daily chart
  const PAD = { top: 14, right: 8, bottom: 26, left: 34 };

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (parent) parent.append(node);
    return node;
  }

  function title(node, text) {
    el("title", {}, node).textContent = text;
    return node;
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  /** A rounded-up axis maximum: the value itself below 10, else up to half a power of ten
   * (51 → 55, 340 → 350), so the tallest bar fills most of the height. */
  function niceMax(value) {
    if (value <= 10) return Math.max(1, Math.ceil(value));
    const step = Math.pow(10, Math.floor(Math.log10(value))) / 2;
    return Math.ceil(value / step) * step;
  }

  /**
   * Follows (up), unfollows (down) and the net (a line) per day, from `GET /api/stats/daily`'s
   * `days`, into `container` (its width; redrawn by the caller on resize).
   */
  function drawDaily(container, days) {
    const width = Math.max(280, Math.floor(container.clientWidth || 600));
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    // Follows above the zero line, unfollows below, on one scale (px per person): the zero line
    // sits where the two ranges meet, so neither wastes half the height.
    const up = niceMax(Math.max(1, ...days.map((d) => d.subscribes)));
    const down = niceMax(Math.max(1, ...days.map((d) => d.unsubscribes)));
    const scale = plotH / (up + down);
    const zero = PAD.top + up * scale;
    const slot = plotW / Math.max(1, days.length);
    const barW = Math.max(2, Math.min(18, slot * 0.7));

    const svg = el("svg", {
      class: "chart daily",
      width,
      height: HEIGHT,
      viewBox: "0 0 " + width + " " + HEIGHT,
      role: "img",
      "aria-label": "Follows, unfollows and net per day",
      "data-scale": scale,
    });
    // Axis: +up, 0, -down.
    for (const [value, y] of [[up, PAD.top], [0, zero], [-down, PAD.top + plotH]]) {
      el("line", { class: value === 0 ? "axis zero" : "axis", x1: PAD.left, x2: width - PAD.right, y1: y, y2: y }, svg);
      if (value !== 0 && Math.abs(y - zero) < 12) continue; // would overlap the 0
      el("text", { class: "tick", x: PAD.left - 4, y: y + 4, "text-anchor": "end" }, svg)
        .textContent = value > 0 ? "+" + value : String(value);
    }
    const net = [];
    days.forEach((d, i) => {
      const x = PAD.left + slot * i + (slot - barW) / 2;
      const follows = d.subscribes * scale;
      const unfollows = d.unsubscribes * scale;
      title(el("rect", {
        class: "col follows", x, y: zero - follows, width: barW, height: follows,
        "data-day": d.day, "data-series": "follows", "data-value": d.subscribes,
      }, svg), d.day + ": " + plural(d.subscribes, "follow", "follows"));
      title(el("rect", {
        class: "col unfollows", x, y: zero, width: barW, height: unfollows,
        "data-day": d.day, "data-series": "unfollows", "data-value": d.unsubscribes,
      }, svg), d.day + ": " + plural(d.unsubscribes, "unfollow", "unfollows"));
      const value = d.subscribes - d.unsubscribes;
      net.push([x + barW / 2, zero - value * scale, d.day, value]);
      const every = days.length > 20 ? 7 : days.length > 10 ? 3 : 1;
      if ((days.length - 1 - i) % every === 0) {
        // The last label ends at the bar, so it is not cut at the right edge.
        const last = i === days.length - 1;
        el("text", {
          class: "tick", x: last ? x + barW : x + barW / 2, y: HEIGHT - 8,
          "text-anchor": last ? "end" : "middle",
        }, svg).textContent = d.day.slice(5);
      }
    });
    if (net.length > 0) {
      el("polyline", { class: "net", points: net.map(([x, y]) => x + "," + y).join(" ") }, svg);
      for (const [x, y, day, value] of net) {
        title(el("circle", {
          class: "net-point", cx: x, cy: y, r: 2.5,
          "data-day": day, "data-series": "net", "data-value": value,
        }, svg), day + ": net " + (value > 0 ? "+" : "") + value);
      }
    }
    container.replaceChildren(svg);
  }

  /**
   * The funnel of each scene (`GET /api/stats`'s `scenes`): scans (follows through the code
   * plus scans by people already following) → follows → still following (follows minus
   * unfollows), as horizontal bars on one scale.
   */
  function drawFunnel(container, scenes) {
    const rows = scenes.map((s) => ({
      scene: String(s.scene),
      label: s.label,
      stages: [
        ["scans", s.subscribes + s.scans],
        ["follows", s.subscribes],
        ["following", Math.max(0, s.subscribes - s.unsubscribes)],
      ],
    }));
    const top = Math.max(1, ...rows.map((r) => r.stages[0][1]));
    const list = document.createElement("div");
    list.className = "funnels";
    for (const r of rows) {
      const block = document.createElement("div");
      block.className = "funnel";
      block.dataset.scene = r.scene;
      const head = document.createElement("div");
      head.className = "funnel-head";
      const name = document.createElement("span");
      name.className = "mono";
      name.textContent = r.scene;
      head.append(name);
      if (r.label) {
        const label = document.createElement("span");
        label.className = "muted";
        label.textContent = " " + r.label;
        head.append(label);
      }
      block.append(head);
      const first = r.stages[0][1];
      for (const [stage, value] of r.stages) {
        const line = document.createElement("div");
        line.className = "funnel-row";
        const what = document.createElement("span");
        what.className = "funnel-stage";
        what.textContent = stage === "following" ? "still following" : stage;
        const track = el("svg", { class: "chart funnel-track", viewBox: "0 0 100 10", preserveAspectRatio: "none", role: "img" });
        title(el("rect", {
          class: "col " + stage, x: 0, y: 0, height: 10, width: (value / top) * 100,
          "data-scene": r.scene, "data-series": stage, "data-value": value,
        }, track), r.scene + ": " + value + " " + what.textContent);
        const figure = document.createElement("span");
        figure.className = "funnel-figure num";
        figure.textContent = stage === "scans" || first === 0
          ? String(value)
          : value + " (" + Math.round((value / first) * 100) + "%)";
        line.append(what, track, figure);
        block.append(line);
      }
      list.append(block);
    }
    container.replaceChildren(list);
  }

  /** The totals line under the daily chart. */
  function summary(days) {
    const follows = days.reduce((n, d) => n + d.subscribes, 0);
    const unfollows = days.reduce((n, d) => n + d.unsubscribes, 0);
    const net = follows - unfollows;
    return days.length + " days: " + plural(follows, "follow", "follows") + ", " +
      plural(unfollows, "unfollow", "unfollows") + ", net " + (net > 0 ? "+" : "") + net;
  }

  window.wxgateCharts = { drawDaily, drawFunnel, summary };
})();
