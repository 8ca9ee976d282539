// Progressive enhancement: the live board refreshes its numbers in place (without JS, a meta refresh does it).
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch) { return; }
  var every = parseInt(live.getAttribute("data-refresh"), 10) || 5000;
  function refresh() {
    fetch(window.location.href, { headers: { "X-Console-Refresh": "1" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.redirected || r.status === 401 || r.status === 403) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null && html !== undefined) { live.innerHTML = html; } })
      .catch(function () { /* the next round tries again */ })
      .finally(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
}());
