/* The expert library's forms: records (lists split on “；”), the Excel import, the roster, the draw
   (preview, draw, replay) and swaps. Every call goes through ZC.api; errors show {message} in the form. */
(function () {
  "use strict";
  function split(text) { return text.split(/[;；]/).map(function (s) { return s.trim(); }).filter(Boolean); }

  function body(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.type === "submit") return;
      if (el.type === "checkbox") {
        if (el.name === "expert_ids") { (out.expert_ids = out.expert_ids || []); if (el.checked) out.expert_ids.push(el.value); }
        else out[el.name] = el.checked;
        return;
      }
      var v = el.value.trim();
      if (el.dataset.records !== undefined) {
        var keys = el.dataset.records.split(",");
        out[el.name] = split(v).map(function (item) {
          var parts = item.split("|"), rec = {};
          keys.forEach(function (k, i) { if (parts[i] && parts[i].trim()) rec[k] = parts[i].trim(); });
          return rec;
        });
      } else if (el.dataset.list !== undefined) out[el.name] = split(v);
      else if (el.type === "number") { if (v !== "") out[el.name] = Number(v); }
      else if (v !== "") out[el.name] = v;
    });
    return out;
  }

  function say(form, text, kind) {
    var box = form.querySelector(".alert");
    box.hidden = false; box.className = "alert alert-" + (kind || "danger"); box.textContent = text;
  }

  async function send(form, method, url, payload) {
    var r = await ZC.api(method, url, payload);
    if (!r.ok) say(form, r.data.message + (r.data.field ? "（" + r.data.field + "）" : ""));
    return r;
  }

  document.querySelectorAll("form[data-expert-api]").forEach(function (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var r = await send(form, form.dataset.expertMethod, form.dataset.expertApi, form.id === "sign" ? undefined : body(form));
      if (r.ok) {
        if (form.id === "expert-new") location.assign("/committee/experts/" + r.data.id);
        else location.reload();
      }
    });
  });

  var upload = document.getElementById("expert-import");
  if (upload) upload.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var data = new FormData(upload);
    var response = await fetch("/api/expert-library/import", { method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": ZC.cookie("zc_csrf") || "" } });
    var result = await response.json();
    var list = upload.querySelector(".errors");
    list.innerHTML = "";
    if (response.ok) { say(upload, "已导入 " + result.imported + " 名专家", "success"); setTimeout(function () { location.reload(); }, 800); return; }
    say(upload, result.message);
    (result.errors || []).forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = "第" + e.row + "行 " + e.column + "：" + e.message;
      list.appendChild(li);
    });
    list.hidden = !(result.errors || []).length;
  });

  function table(headers, rows) {
    var t = document.createElement("table"); t.className = "table";
    var head = t.createTHead().insertRow();
    headers.forEach(function (h) { var th = document.createElement("th"); th.textContent = h; head.appendChild(th); });
    var tb = t.createTBody();
    rows.forEach(function (row) { var tr = tb.insertRow(); row.forEach(function (c) { tr.insertCell().textContent = c; }); });
    return t;
  }

  var draw = document.getElementById("draw");
  if (draw) {
    var url = "/api/meetings/" + draw.dataset.meeting + "/draw";
    draw.querySelector("[data-preview]").addEventListener("click", async function () {
      var r = await send(draw, "POST", url, Object.assign(body(draw), { confirm: false }));
      if (!r.ok) return;
      var box = document.getElementById("preview"); box.innerHTML = "";
      var p = document.createElement("p");
      p.textContent = "符合规则且可抽取的专家 " + r.data.eligible + " 人（来源：" + (r.data.source === "roster" ? "评委会组成人员" : "专家库") + "）";
      box.appendChild(p);
      box.appendChild(table(["专家", "申报人", "回避情形", "说明"], r.data.conflicts.map(function (c) {
        return [c.expert_name, c.applicant_name, c.kind_label, c.reason]; })));
      box.appendChild(table(["专家", "系列", "级别", "符合规则", "不能抽取的原因"], r.data.candidates.map(function (c) {
        return [c.name, c.series, c.level, c.matches ? "是" : "否", c.excluded || ""]; })));
    });
    var go = draw.querySelector("[data-confirm]");
    if (go) go.addEventListener("click", async function () {
      if (!window.confirm("确定抽取？抽取结果将成为本评审会的评审专家。")) return;
      var r = await send(draw, "POST", url, Object.assign(body(draw), { confirm: true }));
      if (r.ok) location.reload();
    });
  }

  var replay = document.querySelector("[data-replay]");
  if (replay) replay.addEventListener("click", async function () {
    var r = await ZC.api("POST", "/api/meetings/" + replay.dataset.replay + "/draw/replay");
    document.getElementById("replay").textContent = r.ok ? (r.data.same ? "复现结果与记录一致" : "复现结果与记录不一致！") : r.data.message;
  });
})();
