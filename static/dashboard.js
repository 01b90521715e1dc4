// Progressive extras for the client dashboard; every page and form works without this file.
"use strict";
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
// Live figures: a page marked data-live re-reads itself and swaps in the
// new text of its [data-live-value] elements and its chart.
(function () {
  var live = document.querySelector("[data-live]");
  if (!live || !window.fetch || !window.DOMParser) return;
  var every = 1000 * (parseInt(live.getAttribute("data-live"), 10) || 10);
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-value]").forEach(function (el) {
          var next = el.id ? doc.getElementById(el.id) : null;
          if (next) el.textContent = next.textContent;
        });
        var chart = document.querySelector(".chart"), nextChart = doc.querySelector(".chart");
        if (chart && nextChart) chart.replaceWith(document.importNode(nextChart, true));
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  setInterval(refresh, every);
})();
