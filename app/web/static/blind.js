/* 代表作送审 forms: start and send a round, the office's redacted copy, a reviewer's score and conflict.
   Every call goes through ZC.api (or fetch with the CSRF token for an upload); errors show {message}. */
(function () {
  "use strict";
  function split(text) { return text.split(/[;；]/).map(function (s) { return s.trim(); }).filter(Boolean); }

  function say(form, text) {
    var box = form.querySelector(".alert");
    box.hidden = false; box.className = "alert alert-danger"; box.textContent = text;
  }

  function body(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      var v = el.value.trim();
      if (el.dataset.list !== undefined) out[el.name] = split(v);
      else if (el.type === "number") { if (v !== "") out[el.name] = Number(v); }
      else if (v !== "") out[el.name] = v;
    });
    return out;
  }

  function failed(form, r) { say(form, r.data.message + (r.data.field ? "（" + r.data.field + "）" : "")); }

  document.querySelectorAll("form[data-blind-api]").forEach(function (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var r = await ZC.api(form.dataset.blindMethod, form.dataset.blindApi, body(form));
      if (r.ok) location.reload(); else failed(form, r);
    });
  });

  document.querySelectorAll("form[data-blind-upload]").forEach(function (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var response = await fetch(form.dataset.blindUpload, { method: "PUT", body: new FormData(form),
        credentials: "same-origin", headers: { "X-CSRF-Token": ZC.cookie("zc_csrf") || "" } });
      if (response.ok) { location.reload(); return; }
      say(form, (await response.json()).message);
    });
  });

  var score = document.getElementById("score-form");
  if (score) score.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var points = Array.prototype.map.call(score.querySelectorAll("input[name=points]"), function (el) {
      return Number(el.value);
    });
    var r = await ZC.api("POST", score.dataset.blindScore, { points: points, opinion: score.elements.opinion.value });
    if (r.ok) location.reload(); else failed(score, r);
  });
})();
