/* Personnel pages: the whole-file import (its problems listed by row and column) and the quota by ratio. */
(function () {
  "use strict";

  function csrf() {
    var match = document.cookie.match(/(?:^|; )zc_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function show(box, text, rows) {
    box.hidden = false;
    box.textContent = text;
    if (rows && rows.length) {
      var table = document.createElement("table");
      table.className = "table";
      rows.forEach(function (p) {
        var tr = table.insertRow();
        tr.insertCell().textContent = p.row ? "第" + p.row + "行" : "文件";
        tr.insertCell().textContent = p.field;
        tr.insertCell().textContent = p.message;
      });
      box.appendChild(table);
    }
  }

  async function send(method, url, body, headers) {
    var response = await fetch(url, { method: method, body: body, credentials: "same-origin",
      headers: Object.assign({ Accept: "application/json", "X-CSRF-Token": csrf() }, headers || {}) });
    var data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, data: data || {} };
  }

  var importForm = document.getElementById("personnel-import");
  if (importForm) {
    importForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var box = document.getElementById("import-result");
      var file = importForm.querySelector("input[type=file]").files[0];
      if (!file) { show(box, "请选择要导入的 Excel 文件"); return; }
      var body = new FormData();
      body.append("file", file);
      var answer = await send("POST", importForm.dataset.url, body);
      if (answer.ok) {
        show(box, "已导入" + answer.data.imported + "人（新增" + answer.data.created + "人，更新" + answer.data.updated + "人）");
        setTimeout(function () { location.reload(); }, 800);
      } else { show(box, answer.data.message || "导入失败", answer.data.problems); }
    });
    document.getElementById("import-preview").addEventListener("click", async function () {
      var box = document.getElementById("import-result");
      var file = importForm.querySelector("input[type=file]").files[0];
      if (!file) { show(box, "请选择要导入的 Excel 文件"); return; }
      var body = new FormData();
      body.append("file", file);
      var answer = await send("POST", importForm.dataset.preview, body);
      if (!answer.ok) { show(box, answer.data.message || "预览失败", answer.data.problems); return; }
      var d = answer.data;
      show(box, "预览：将新增" + d.created + "人，更新" + d.updated + "人，" + d.unchanged + "人无变化（尚未导入）");
      var table = document.createElement("table");
      table.className = "table";
      table.id = "import-plan";
      d.lines.filter(function (l) { return l.action !== "unchanged"; }).forEach(function (l) {
        var tr = table.insertRow();
        tr.insertCell().textContent = "第" + l.row + "行";
        tr.insertCell().textContent = l.name;
        tr.insertCell().textContent = l.action === "create" ? "新增" : "更新";
        tr.insertCell().textContent = Object.keys(l.changes).map(function (k) {
          return k + "：" + JSON.stringify(l.changes[k][0]) + " → " + JSON.stringify(l.changes[k][1]);
        }).join("；");
      });
      box.appendChild(table);
    });
  }

  var ratioForm = document.getElementById("quota-ratio");
  if (ratioForm) {
    ratioForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var alert = ratioForm.querySelector(".alert");
      var parts = (ratioForm.elements.ratio_text.value || "").split(/[:：]/).map(function (x) { return parseInt(x, 10); });
      var body = { ratio: parts, total: parseInt(ratioForm.elements.total.value, 10) || null };
      var answer = await send("PUT", ratioForm.dataset.url, JSON.stringify(body), { "Content-Type": "application/json" });
      if (answer.ok) { location.reload(); } else { alert.hidden = false; alert.textContent = answer.data.message || "核定失败"; }
    });
  }
})();
