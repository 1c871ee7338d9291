// kubegate dashboard: polls /dashboard/state every second and renders it. No dependencies.
(function () {
  "use strict";

  var REFRESH_MS = 1000;
  var TIMEOUT_MS = 2500;
  var HISTORY = 30;
  var history = {};       // cluster name -> [{t, rx, tx, rxRate, txRate}]
  var openHistory = {};   // "cluster|address" -> true when its change list is shown
  var lastOk = null;
  var lastState = null;

  function $(id) { return document.getElementById(id); }

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function colour(state) {
    return state === "healthy" ? "green" : (state === "degraded" || state === "pending") ? "amber" : "red";
  }

  function bytes(n) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
  }

  function rate(n) { return bytes(n) + "/s"; }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) { return seconds + "s"; }
    var m = Math.floor(seconds / 60), s = seconds % 60;
    if (m < 60) { return m + "m " + s + "s"; }
    var h = Math.floor(m / 60);
    if (h < 24) { return h + "h " + (m % 60) + "m"; }
    return Math.floor(h / 24) + "d " + (h % 24) + "h";
  }

  function ago(iso, now) {
    if (!iso) { return ""; }
    var seconds = (Date.parse(now) - Date.parse(iso)) / 1000;
    return seconds < 1 ? "just now" : duration(seconds) + " ago";
  }

  function until(iso, now) {
    return duration((Date.parse(iso) - Date.parse(now)) / 1000);
  }

  function clock(iso) {
    var d = new Date(iso);
    return d.toLocaleTimeString([], { hour12: false });
  }

  function sample(cluster) {
    var list = history[cluster.name] || (history[cluster.name] = []);
    var t = performance.now();
    var prev = list.length ? list[list.length - 1] : null;
    var point = { t: t, rx: cluster.rx_bytes, tx: cluster.tx_bytes, overflow: cluster.overflow, rxRate: 0, txRate: 0 };
    if (prev) {
      var dt = (t - prev.t) / 1000;
      if (dt > 0) {
        point.rxRate = Math.max(0, (point.rx - prev.rx) / dt);
        point.txRate = Math.max(0, (point.tx - prev.tx) / dt);
      }
    }
    list.push(point);
    if (list.length > HISTORY + 1) { list.shift(); }
    return list;
  }

  function sparkline(list) {
    var w = 240, h = 52, pad = 4;
    var points = list.slice(1);
    var max = 1;
    points.forEach(function (p) { max = Math.max(max, p.rxRate, p.txRate); });
    function line(key) {
      if (points.length === 0) { return ""; }
      var step = (w - 2 * pad) / (HISTORY - 1);
      var offset = w - pad - (points.length - 1) * step;
      return points.map(function (p, i) {
        var x = offset + i * step;
        var y = h - pad - (p[key] / max) * (h - 2 * pad);
        return x.toFixed(1) + "," + y.toFixed(1);
      }).join(" ");
    }
    var rx = line("rxRate"), tx = line("txRate");
    var area = "";
    if (rx) {
      var first = rx.split(" ")[0].split(",")[0], last = rx.split(" ").slice(-1)[0].split(",")[0];
      area = '<polygon class="rx-area" points="' + first + "," + (h - pad) + " " + rx + " " + last + "," + (h - pad) + '"/>';
    }
    return '<svg class="spark" viewBox="0 0 ' + w + " " + h + '" preserveAspectRatio="none" role="img" aria-label="rx/tx bytes per second">' +
      area + '<polyline class="tx" points="' + tx + '"/><polyline class="rx" points="' + rx + '"/></svg>';
  }

  function renderSummary(state) {
    var endpoints = 0, healthy = 0, active = 0, rxRate = 0, txRate = 0;
    state.clusters.forEach(function (c) {
      endpoints += c.total; healthy += c.healthy; active += c.active_connections;
      var list = history[c.name];
      if (list && list.length) { rxRate += list[list.length - 1].rxRate; txRate += list[list.length - 1].txRate; }
    });
    var unhealthy = endpoints - healthy;
    $("summary").innerHTML =
      stat("Clusters", state.clusters.length, "") +
      stat("Endpoints healthy", healthy + " / " + endpoints, unhealthy > 0 ? "bad" : endpoints > 0 ? "good" : "") +
      stat("Upstream connections", active, "") +
      stat("Traffic rx / tx", rate(rxRate) + " · " + rate(txRate), "");
  }

  function stat(label, value, cls) {
    return '<div class="stat"><div class="label">' + esc(label) + '</div><div class="value ' + cls + '">' + esc(value) + "</div></div>";
  }

  function renderCluster(cluster, now) {
    var list = sample(cluster);
    var latest = list[list.length - 1];
    var healthCls = cluster.healthy === cluster.total && cluster.total > 0 ? "ok" : cluster.healthy === 0 ? "bad" : "warn";
    // Connections refused by the circuit breaker (UO) within the history window make the cluster an error: clients
    // are turned away while every endpoint may look healthy.
    var refusing = latest.overflow - list[0].overflow > 0 || (list.length === 1 && cluster.overflow > 0);
    var atLimit = cluster.active_connections >= cluster.max_connections;
    var html = '<section class="card cluster' + (refusing ? " overflow" : "") + '" data-cluster="' + esc(cluster.name) + '">' +
      '<div class="cluster-head"><div>' +
      '<div class="cluster-title"><h3>' + esc(cluster.name) + '</h3>' +
      '<span class="pill ' + healthCls + '">' + cluster.healthy + " / " + cluster.total + " healthy</span>" +
      (cluster.panic ? '<span class="pill bad" title="too few healthy hosts: traffic goes to all of them">PANIC</span>' : "") +
      (refusing || atLimit ? '<span class="pill bad overflow-state" title="circuit_breakers max_connections ' + cluster.max_connections +
        ' reached: new connections are refused (UO); raise it in the cluster">' + (refusing ? "REFUSING CONNECTIONS" : "AT CONNECTION LIMIT") + "</span>" : "") +
      '<span class="pill">' + esc(cluster.lb_policy) + "</span></div>" +
      '<div class="cluster-meta">' + cluster.active_connections + " active · " + cluster.total_connections + " total connections · " +
      cluster.connect_failures + " connect failures · " +
      (cluster.overflow > 0 ? '<span class="bad">' + cluster.overflow + " refused over max_connections " + cluster.max_connections + "</span> · " : "") +
      bytes(cluster.rx_bytes) + " rx · " + bytes(cluster.tx_bytes) + " tx</div>" +
      "</div>" +
      '<div class="traffic"><div class="rates"><div class="rx">rx <b>' + rate(latest.rxRate) + '</b></div><div class="tx">tx <b>' + rate(latest.txRate) + "</b></div></div>" +
      sparkline(list) + "</div></div>";

    html += '<table class="grid endpoints"><thead><tr><th>Endpoint</th><th>State</th><th>Reason</th><th>Last check</th>' +
      '<th class="num">Active</th><th class="num">Total</th><th class="num">Conn. fail</th><th>Flags</th><th></th></tr></thead><tbody>';
    if (cluster.endpoints.length === 0) {
      html += '<tr><td colspan="9" class="empty">no endpoints</td></tr>';
    }
    cluster.endpoints.forEach(function (e) {
      var c = colour(e.state);
      var key = cluster.name + "|" + e.address;
      var reason = e.reason ? esc(e.reason) : '<span class="muted">–</span>';
      if (e.ejected_until) { reason += '<div class="sub">ejected for another ' + until(e.ejected_until, now) + "</div>"; }
      var check = '<span class="muted">not checked yet</span>';
      if (e.last_check) {
        check = (e.last_check.succeeded ? "" : '<span class="state red"></span> ') +
          esc(e.last_check.result) + " · " + e.last_check.latency_ms + " ms" +
          '<div class="sub muted">' + ago(e.last_check.time, now) + "</div>";
      }
      html += '<tr class="endpoint ' + c + '" data-endpoint="' + esc(e.address) + '" data-state="' + esc(e.state) + '">' +
        '<td class="addr">' + esc(e.address) + (e.hostname ? '<div class="sub muted">' + esc(e.hostname) + "</div>" : "") + "</td>" +
        '<td><span class="state ' + c + '">' + esc(e.state) + "</span>" +
          '<div class="sub"><span class="pill serving ' + servingClass(e.serving) + '" data-serving="' + esc(e.serving) + '">' + esc(e.serving) + "</span>" +
          (e.slow_start_percent != null ? ' <span class="pill warn slow-start" title="slow start: share of its weight">slow start ' + Math.round(e.slow_start_percent) + "%</span>" : "") +
          "</div>" + maintenanceButtons(cluster.name, e) + "</td>" +
        '<td class="reason">' + reason + "</td>" +
        "<td>" + check + "</td>" +
        '<td class="num">' + e.active_connections + '</td><td class="num">' + e.total_connections + '</td><td class="num">' + e.connect_failures + "</td>" +
        '<td class="flags">' + esc(e.health_flags) + "</td>" +
        '<td class="num">' + (e.changes.length ? '<button class="history" data-key="' + esc(key) + '">' +
          (openHistory[key] ? "hide" : "history (" + e.changes.length + ")") + "</button>" : "") + "</td></tr>";
      if (openHistory[key] && e.changes.length) {
        html += '<tr class="changes"><td colspan="9"><ul class="changes">' + e.changes.map(function (ch) {
          return '<li><span class="when" title="' + esc(ch.time) + '">' + clock(ch.time) + '</span><span class="state ' + colour(ch.to) + '">' +
            esc(ch.to) + '</span><span class="muted">' + esc(ch.source) + "</span><span>" + esc(ch.reason) + "</span></li>";
        }).join("") + "</ul></td></tr>";
      }
    });
    return html + "</tbody></table></section>";
  }

  function servingClass(serving) {
    return serving === "UP" ? "ok" : serving === "DOWN" ? "bad" : "warn";
  }

  // Maintenance: drain (no new connections), disable (drain, then move its connections gently), enable.
  function maintenanceButtons(cluster, e) {
    var actions = e.maintenance === "enabled" ? ["drain", "disable"] : ["enable"];
    return '<div class="sub maintenance">' + actions.map(function (action) {
      return '<button class="maint" data-action="' + action + '" data-cluster="' + esc(cluster) + '" data-address="' + esc(e.address) + '">' + action + "</button>";
    }).join(" ") + "</div>";
  }

  function maintenance(button) {
    var action = button.getAttribute("data-action");
    var cluster = button.getAttribute("data-cluster");
    var address = button.getAttribute("data-address");
    if (!window.confirm(action + " endpoint " + address + " of cluster " + cluster + "?")) { return; }
    // The admin requires this header on maintenance POSTs: a cross-site form cannot send it.
    fetch("/kubegate/endpoint/" + action + "?cluster=" + encodeURIComponent(cluster) + "&address=" + encodeURIComponent(address),
      { method: "POST", headers: { "X-Kubegate-Admin": "1" } })
      .then(function (response) { return response.text().then(function (text) { if (!response.ok) { window.alert(text); } }); })
      .catch(function () { window.alert("the admin interface did not answer"); });
    // The next poll (within a second) shows the new state.
  }

  // Certificates expiring within 30 days and apiserver discovery problems: one line each, above everything else.
  function renderWarnings(warnings) {
    var box = $("warnings");
    box.hidden = warnings.length === 0;
    box.innerHTML = warnings.map(function (w) { return '<div class="warning">' + esc(w) + "</div>"; }).join("");
  }

  function render(state) {
    lastState = state;
    var server = state.server;
    var version = String(server.version);
    var plus = version.indexOf("+");
    $("version").textContent = "v" + (plus >= 0 ? version.slice(0, plus + 8) : version);
    $("version").title = version;
    var badge = $("server-state");
    badge.textContent = server.state;
    badge.className = "badge " + server.state;
    $("uptime").textContent = duration(server.uptime_seconds);

    var seen = {};
    state.clusters.forEach(function (c) { seen[c.name] = true; });
    Object.keys(history).forEach(function (name) { if (!seen[name]) { delete history[name]; } });
    var clusters = state.clusters.map(function (c) { return renderCluster(c, server.now); }).join("");
    $("clusters").innerHTML = clusters || '<section class="card empty">no clusters configured</section>';
    renderSummary(state);
    renderWarnings(state.warnings || []);

    $("listeners").tBodies[0].innerHTML = state.listeners.length ? state.listeners.map(function (l) {
      return "<tr><td>" + esc(l.name) + '</td><td class="mono">' + esc(l.address) + "</td><td>" + esc(l.cluster) +
        '</td><td class="num">' + l.active_connections + '</td><td class="num">' + l.total_connections + "</td></tr>";
    }).join("") : '<tr><td colspan="5" class="empty">no listeners</td></tr>';

    var config = '<div class="path muted">bootstrap <span class="mono">' + esc(state.config.path) + "</span></div>";
    config += state.config.files.length
      ? '<table class="grid"><thead><tr><th>File</th><th>version_info</th></tr></thead><tbody>' + state.config.files.map(function (f) {
          return '<tr><td class="mono">' + esc(f.file) + '</td><td class="mono">' + esc(f.version_info) + "</td></tr>";
        }).join("") + "</tbody></table>"
      : '<div class="empty">no dynamic files with version_info</div>';
    var reloads = state.config.reloads || [];
    if (reloads.length) {
      config += '<table class="grid"><thead><tr><th>Last update</th><th>File</th><th>Result</th><th>When</th></tr></thead><tbody>' +
        reloads.map(function (r) {
          var ok = r.outcome === "accepted" || r.outcome === "empty";
          var result = '<span class="' + (ok ? "ok" : "bad") + '">' + esc(r.outcome) + "</span>" +
            (r.version_info ? ' <span class="mono muted">' + esc(r.version_info) + "</span>" : "") +
            (r.problem ? '<div class="mono muted">' + esc(r.problem) + (r.problems > 1 ? " (+" + (r.problems - 1) + " more)" : "") + "</div>" : "");
          return "<tr><td>" + esc(r.subscription) + '</td><td class="mono">' + esc(r.file) + "</td><td>" + result +
            "</td><td>" + esc(new Date(r.at).toLocaleTimeString()) + "</td></tr>";
        }).join("") + "</tbody></table>";
    }
    $("config").innerHTML = config;
  }

  function setConnection(kind, text) {
    var conn = $("conn");
    conn.setAttribute("data-conn", kind);
    $("conn-text").textContent = text;
    document.body.classList.toggle("stale", kind === "disconnected");
  }

  function poll() {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    fetch("/dashboard/state", { cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (state) {
        render(state);
        lastOk = new Date();
        setConnection("live", "updated " + lastOk.toLocaleTimeString([], { hour12: false }));
      })
      .catch(function () {
        setConnection("disconnected", "disconnected" + (lastOk ? " since " + lastOk.toLocaleTimeString([], { hour12: false }) : "") + " · retrying");
      })
      .then(function () {
        if (timer) { clearTimeout(timer); }
        setTimeout(poll, REFRESH_MS);
      });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("maint")) {
      maintenance(target);
      return;
    }
    if (target && target.classList && target.classList.contains("history")) {
      var key = target.getAttribute("data-key");
      openHistory[key] = !openHistory[key];
      if (lastState) {
        // Re-render without taking a new rate sample: drop the point render() is about to add again.
        lastState.clusters.forEach(function (c) { var l = history[c.name]; if (l && l.length) { l.pop(); } });
        render(lastState);
      }
    }
  });

  poll();
}());
