// Run mode: count item and speaker timers down, keep a clock, and refresh the page
// when the session changes (another window moved on, a ballot came in).
(function () {
  "use strict";
  var body = document.body;
  var offset = Number(body.dataset.serverMs || Date.now()) - Date.now();
  var version = body.dataset.version;

  function now() { return Date.now() + offset; }

  function clock(seconds) {
    var sign = seconds < 0 ? "+" : "";
    var s = Math.abs(Math.round(seconds));
    var m = Math.floor(s / 60);
    return sign + String(m).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  function tick() {
    document.querySelectorAll("[data-timer]").forEach(function (el) {
      var elapsed = Number(el.dataset.elapsed || 0);
      if (el.dataset.since) { elapsed += (now() - Number(el.dataset.since)) / 1000; }
      var limit = Number(el.dataset.limit || 0);
      var left = limit - elapsed;
      var text = el.querySelector("[data-time]");
      if (text) { text.textContent = clock(left); }
      var bar = el.querySelector("[data-bar]");
      if (bar && limit) { bar.style.width = Math.min(100, (100 * elapsed) / limit) + "%"; }
      el.classList.toggle("warn", left <= Math.min(60, limit / 5) && left > 0);
      el.classList.toggle("over", left <= 0);
    });
    var face = document.querySelector("[data-clock]");
    if (face) {
      var d = new Date();
      face.textContent = String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
    }
  }

  function typing() {
    var el = document.activeElement;
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT") && (el.value || "") !== "";
  }

  function poll() {
    fetch(body.dataset.stateUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        if (String(state.version) !== String(version) && !typing()) {
          window.location.reload();
          return;
        }
        var count = document.querySelector("[data-ballots]");
        if (count && state.ballots !== null) { count.textContent = String(state.ballots); }
      })
      .catch(function () {});
  }

  tick();
  setInterval(tick, 250);
  setInterval(poll, 2000);
})();
