// Survey editor helpers: every page works without them; they only make editing easier.
(function () {
  "use strict";

  function letters(text) {
    // Count letters and digits the way the survey format does (no punctuation).
    return Array.from(text).filter(function (ch) { return /[\p{L}\p{N}]/u.test(ch); }).length;
  }

  function addCounters() {
    document.querySelectorAll("textarea[data-limit]").forEach(function (area) {
      var limit = Number(area.getAttribute("data-limit"));
      var counter = document.createElement("span");
      counter.className = "counter";
      counter.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", counter);
      function update() {
        var count = letters(area.value);
        counter.textContent = count + " / " + limit + " 字";
        counter.classList.toggle("over", count > limit);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  function checkedBands(form) {
    var bands = [];
    form.querySelectorAll(".band-boxes input[type=checkbox]").forEach(function (box) {
      if (box.checked) bands.push(box.value);
    });
    return bands;
  }

  function toggleQuestionParts() {
    var form = document.querySelector(".question-form");
    if (!form) return;
    var type = form.querySelector("[data-role=type]");
    var shared = form.querySelector("[data-role=shared]");
    function update() {
      var kind = type.value;
      var bands = checkedBands(form);
      var choices = ["single", "multi", "faces", "yesno", "ranking"].indexOf(kind) >= 0;
      form.querySelector("[data-role=options]").classList.toggle("is-hidden", !choices);
      form.querySelector("[data-role=bounds]").classList.toggle("is-hidden", kind !== "number");
      form.querySelector(".options-all").classList.toggle("is-hidden", !shared.checked);
      form.querySelectorAll(".options-band").forEach(function (label) {
        var band = label.getAttribute("data-band");
        label.classList.toggle("is-hidden", shared.checked || bands.indexOf(band) < 0);
      });
      form.querySelectorAll(".band-wording").forEach(function (block) {
        block.classList.toggle("is-hidden", bands.indexOf(block.getAttribute("data-band")) < 0);
      });
    }
    form.addEventListener("change", update);
    update();
  }

  function previewTools() {
    var tablet = document.querySelector(".tablet");
    if (!tablet) return;
    var frame = tablet.querySelector("iframe");
    var buttons = document.querySelectorAll("[data-zoom]");
    function zoom(value) {
      tablet.classList.remove("zoom-50", "zoom-75", "zoom-100");
      tablet.classList.add("zoom-" + Math.round(Number(value) * 100));
      buttons.forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-zoom") === value));
      });
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () { zoom(button.getAttribute("data-zoom")); });
    });
    var reload = document.querySelector("[data-reload]");
    if (reload) {
      reload.addEventListener("click", function () { frame.src = frame.src; });
    }
    zoom("0.5");
  }

  addCounters();
  confirmForms();
  toggleQuestionParts();
  previewTools();
})();
