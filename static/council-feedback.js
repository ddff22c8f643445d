// 你说，我们做: offer a way back to the page the child came from (the kiosk).
(function () {
  "use strict";
  var foot = document.querySelector("[data-back]");
  if (!foot || window.history.length < 2) { return; }
  foot.hidden = false;
  foot.querySelector("button").addEventListener("click", function () { window.history.back(); });
})();
