// A council vote on a shared tablet. Each child's tap becomes a ballot with a UUID
// made here; the ballot is kept on the tablet and resent until the server confirms
// it, so a resend counts once. "Next" clears the screen for the next child.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vote-data").textContent);
  var KEY = "tongsheng.ballots." + data.code;
  var status = document.querySelector("[data-status]");
  var next = document.querySelector("[data-next]");
  var buttons = Array.prototype.slice.call(document.querySelectorAll("[data-option]"));
  var timer = 0;

  function uuid() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function pending() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }

  function keep(list) {
    try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* private mode: send only */ }
  }

  function say(text, problem) {
    status.hidden = false;
    status.textContent = text;
    status.classList.toggle("problem", !!problem);
  }

  function send() {
    var list = pending();
    if (!list.length) { return; }
    var ballot = list[0];
    fetch(data.ballot_url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(ballot),
      credentials: "omit",
      cache: "no-store",
    })
      .then(function (r) {
        if (r.ok || r.status === 409 || r.status === 410 || r.status === 422) {
          keep(pending().filter(function (b) { return b.id !== ballot.id; }));
          if (r.status === 410) { say("投票已经结束了。", true); }
          send();
        } else { retry(); }
      })
      .catch(retry);
  }

  function retry() {
    clearTimeout(timer);
    timer = setTimeout(send, 3000);
  }

  function choose(event) {
    var option = Number(event.currentTarget.dataset.option);
    buttons.forEach(function (b) { b.disabled = true; });
    event.currentTarget.classList.add("chosen");
    keep(pending().concat([{ id: uuid(), option: option }]));
    say("谢谢，你的票已经投好了！");
    next.hidden = false;
    next.focus();
    send();
  }

  function reset() {
    buttons.forEach(function (b) { b.disabled = false; b.classList.remove("chosen"); });
    status.hidden = true;
    next.hidden = true;
  }

  buttons.forEach(function (b) { b.addEventListener("click", choose); });
  next.addEventListener("click", reset);
  window.addEventListener("online", send);
  send();
  if (data.waiting) { setTimeout(function () { window.location.reload(); }, 4000); }
})();
