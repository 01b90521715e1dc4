// Progressive extras for the admin panel; every form works without this file.
"use strict";
document.addEventListener("click", function (ev) {
  var b = ev.target.closest ? ev.target.closest("button.copy") : null;
  if (!b) return;
  var field = document.getElementById(b.getAttribute("data-copy"));
  if (!field) return;
  var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 1500); };
  // The Clipboard API needs a secure context; plain http on a LAN falls back to execCommand.
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
  } else {
    field.select();
    try { if (document.execCommand("copy")) done(); } catch (e) { /* text stays selected */ }
  }
});
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
// Times come as UTC text in <time datetime>; show them in the browser's own zone.
(function () {
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  var show = function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) return;
    var day = d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
    var kind = el.getAttribute("data-local");
    if (kind === "date") el.textContent = day + " " + two(d.getHours()) + ":" + two(d.getMinutes());
    else if (kind === "day") el.textContent = day;
    // "ago" texts stay relative; the exact local moment goes in the tooltip.
    el.title = d.toLocaleString();
  };
  var all = function () { Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), show); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
// The overview's figures refresh themselves from a small JSON route; without
// JavaScript the page shows the figures of its load.
(function () {
  var root = document.querySelector("[data-figures]");
  if (!root || !window.fetch) return;
  var url = root.getAttribute("data-figures");
  var every = 1000 * (parseInt(root.getAttribute("data-refresh"), 10) || 15);
  var tick = function () {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (f) {
        if (!f) return;
        Object.keys(f).forEach(function (k) {
          var el = document.getElementById("stat-" + k);
          if (el && el.textContent !== String(f[k])) el.textContent = f[k];
        });
        root.setAttribute("data-updated", String(Date.now()));
      })
      .catch(function () { /* try again at the next tick */ });
  };
  setInterval(tick, every);
})();
