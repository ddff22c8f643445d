// Refresh a launch's counts every few seconds; the counts carry no answer text.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  function refresh() {
    fetch(live.dataset.url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        Object.keys(counts).forEach(function (key) {
          var el = live.querySelector('[data-count="' + key + '"]');
          if (el) { el.textContent = String(counts[key]); }
        });
      })
      .catch(function () {});
  }
  setInterval(refresh, 5000);
})();
