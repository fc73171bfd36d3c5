/* 职称申报评审服务: the review pages (uses window.ZC from app.js).
 *
 * - queues: [data-pick] checkboxes in a table, [data-pick-all] ticks the whole page, the batch bar counts them;
 * - a batch bar <form data-batch-api="/api/..."> is serialised like any form; the pressed button's
 *   data-action becomes "action", the ticked rows "ids" (or, with 全部符合查询条件, data-filter becomes
 *   "filter"). The API is first asked with confirm=false and its preview shown in a dialog
 *   ("将对 N 份申报执行 X：names…"); 确定 sends confirm=true and the dialog lists what was done and what failed;
 * - the review page's buttons [data-set-action] choose the action of the one opinion form; actions that need a
 *   reason refuse an empty opinion before any call; a missing reporting path links to 路径管理;
 * - inbox links mark their message read before leaving.
 */
(function () {
  "use strict";

  var ZC = window.ZC;

  function all(root, selector) { return Array.prototype.slice.call(root.querySelectorAll(selector)); }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function fieldError(form, field, message) {
    ZC.showErrors(form, {}, { field: field, message: message, code: "invalid" });
  }

  /* ---------- picking rows ---------- */

  function picksOf(form) {
    var table = document.querySelector(form.dataset.picks || "#queue-table");
    return table ? all(table, "input[data-pick]") : [];
  }

  function refreshCounts() {
    all(document, "form[data-batch-api]").forEach(function (form) {
      var label = form.querySelector("[data-picked-count]");
      if (label) label.textContent = "已选 " + picksOf(form).filter(function (box) { return box.checked; }).length + " 份";
    });
    all(document, "input[data-pick-all]").forEach(function (box) {
      var boxes = all(box.closest("table"), "input[data-pick]");
      var ticked = boxes.filter(function (b) { return b.checked; }).length;
      box.checked = boxes.length > 0 && ticked === boxes.length;
      box.indeterminate = ticked > 0 && ticked < boxes.length;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[data-pick-all]")) {
      all(target.closest("table"), "input[data-pick]").forEach(function (box) { box.checked = target.checked; });
      refreshCounts();
    } else if (target.matches("input[data-pick]")) refreshCounts();
  });

  /* ---------- the confirmation dialog ---------- */

  var dialog = null;

  function batchDialog() {
    if (dialog) return dialog;
    dialog = element("dialog", "dialog batch-dialog");
    dialog.setAttribute("aria-labelledby", "batch-dialog-title");
    dialog.innerHTML = "<h2 id=\"batch-dialog-title\">确认批量操作</h2><p class=\"batch-preview\"></p>"
      + "<div class=\"batch-result\" aria-live=\"polite\"></div><div class=\"form-actions\">"
      + "<button type=\"button\" class=\"btn btn-primary\" data-batch-confirm>确定</button>"
      + "<button type=\"button\" class=\"btn\" data-batch-cancel>取消</button></div>";
    document.body.appendChild(dialog);
    return dialog;
  }

  function names(data) {
    var shown = data.preview.map(function (p) { return p.applicant_name; });
    return shown.join("、") + (data.count > shown.length ? " 等" : "");
  }

  function showResult(box, data, preview) {
    var byId = {};
    preview.forEach(function (p) { byId[p.id] = p.applicant_name; });
    box.innerHTML = "";
    box.appendChild(element("div", "alert " + (data.failed.length ? "alert-warning" : "alert-success"),
      data.action_label + "：成功 " + data.done + " 份" + (data.failed.length ? "，未成功 " + data.failed.length + " 份" : "")));
    var failedIds = data.failed.map(function (f) { return f.id; });
    var done = preview.filter(function (p) { return failedIds.indexOf(p.id) < 0; });
    if (data.done && done.length === data.done) {
      box.appendChild(element("p", "batch-done", "已完成：" + done.map(function (p) { return p.applicant_name; }).join("、")));
    }
    if (!data.failed.length) return;
    var list = element("ul", "batch-failed");
    var pathMissing = false;
    data.failed.forEach(function (f) {
      list.appendChild(element("li", null, (f.applicant_name || byId[f.id] || "申报") + "：" + f.message));
      if (/路径/.test(f.message)) pathMissing = true;
    });
    box.appendChild(list);
    if (pathMissing) {
      var link = element("a", "btn btn-small", "前往路径管理申请上报路径");
      link.href = "/paths";
      box.appendChild(link);
    }
  }

  function openDialog(label, data, confirm) {
    var box = batchDialog();
    var ok = box.querySelector("[data-batch-confirm]"), cancel = box.querySelector("[data-batch-cancel]");
    var result = box.querySelector(".batch-result");
    box.querySelector(".batch-preview").textContent = "将对 " + data.count + " 份申报执行 " + label + "：" + names(data);
    result.innerHTML = "";
    ok.hidden = false;
    ok.disabled = false;
    cancel.textContent = "取消";
    var finished = false;
    ok.onclick = async function () {
      ok.disabled = true;
      var answer = await confirm();
      ok.disabled = false;
      if (!answer.ok) {
        result.innerHTML = "";
        result.appendChild(element("div", "alert alert-danger", answer.data.message));
        return;
      }
      finished = true;
      ok.hidden = true;
      cancel.textContent = "关闭并刷新";
      showResult(result, answer.data, data.preview);
    };
    cancel.onclick = function () {
      box.close();
      if (finished) location.reload();
    };
    box.showModal();
  }

  async function startBatch(form, button) {
    ZC.clearMessages(form);
    var body = ZC.serialise(form).body;
    var label = button ? button.textContent.trim() : "操作";
    if (button && button.dataset.action) body.action = button.dataset.action;
    if (button && button.hasAttribute("data-reason-required") && !(body.opinion || "").trim()) {
      fieldError(form, "opinion", label + "须填写原因");
      return;
    }
    var scope = form.querySelector("input[name=scope]:checked");
    if (scope && scope.value === "filter") {
      body.filter = JSON.parse(form.dataset.filter);
    } else if (form.dataset.ids !== "none") {
      body.ids = picksOf(form).filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
      if (!body.ids.length) { ZC.say(form, "请先勾选要" + label + "的申报", "warning"); return; }
    }
    body.confirm = false;
    if (button) button.disabled = true;
    var preview;
    try { preview = await ZC.api("POST", form.dataset.batchApi, body); } finally { if (button) button.disabled = false; }
    if (!preview.ok) { ZC.fail(form, preview); return; }
    if (!preview.data.count) { ZC.say(form, "没有可" + label + "的申报（可能已被处理或不在您的权限范围内）", "warning"); return; }
    openDialog(preview.data.action_label || label, preview.data, function () {
      return ZC.api("POST", form.dataset.batchApi, Object.assign({}, body, { confirm: true }));
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.batchApi) return;
    event.preventDefault();
    startBatch(form, event.submitter);
  });

  /* ---------- the review page's opinion form ---------- */

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-set-action]");
    if (!button) return;
    var form = button.form;
    ZC.clearMessages(form);
    form.querySelector("input[name=action]").value = button.dataset.setAction;
    var opinion = form.querySelector("[name=opinion]");
    if (button.hasAttribute("data-reason-required") && !opinion.value.trim()) {
      event.preventDefault();
      fieldError(form, "opinion", button.textContent.trim() + "须填写原因");
      return;
    }
    if (button.dataset.confirm) form.dataset.confirm = button.dataset.confirm;
    else delete form.dataset.confirm;
  });

  /* 保存意见: keeps the opinion and signer to finish later; not a decision, nothing moves. */
  document.addEventListener("click", async function (event) {
    var button = event.target.closest("button[data-save-opinion]");
    if (!button) return;
    var form = button.form;
    ZC.clearMessages(form);
    var body = { opinion: form.querySelector("[name=opinion]").value.trim() || null,
                 signer: (form.querySelector("[name=signer]") || { value: "" }).value.trim() || null };
    button.disabled = true;
    try {
      var result = await ZC.api("PUT", button.dataset.saveOpinion, body);
      if (result.ok) ZC.say(form, "意见已保存，可稍后继续办理", "success");
      else ZC.fail(form, result);
    } finally {
      button.disabled = false;
    }
  });

  /* A report without an active path: say so and offer 路径管理. */
  ZC.failureHooks.action = function (form, result) {
    if (result.data.code !== "no_active_path") return false;
    ZC.say(form, result.data.message + " ", "danger");
    var link = element("a", null, "前往路径管理");
    link.href = "/paths";
    ZC.alertBox(form).appendChild(link);
    return true;
  };

  /* ---------- the queue filter's 申报职称: cascades from 职称系列 and 申报级别, each name once ---------- */

  async function refreshTitles(select) {
    var ids = select.dataset.titlesOf.split(" ");
    var series = document.getElementById(ids[0]).value, level = document.getElementById(ids[1]).value;
    var keep = select.value, turn = (select._turn || 0) + 1;
    select._turn = turn;
    var titles = [];
    if (series) {
      var result = await ZC.api("GET", "/api/catalog/titles?parent=" + encodeURIComponent(series));
      if (select._turn !== turn) return;        // a later choice is loading
      var seen = {};
      titles = (result.ok ? result.data : []).filter(function (e) {
        var fits = !level || (e.extra && e.extra.level === level);
        if (!fits || seen[e.name]) return false;
        seen[e.name] = true;
        return true;
      });
    }
    select.length = 0;
    select.add(new Option(series ? "全部" : "请先选择职称系列", ""));
    titles.forEach(function (e) { select.add(new Option(e.name, e.code)); });
    select.value = titles.some(function (e) { return e.code === keep; }) ? keep : "";
  }

  all(document, "select[data-titles-of]").forEach(function (select) {
    select.dataset.titlesOf.split(" ").forEach(function (id) {
      var source = document.getElementById(id);
      if (source) source.addEventListener("change", function () { refreshTitles(select); });
    });
  });

  /* ---------- inbox ---------- */

  document.addEventListener("click", async function (event) {
    var link = event.target.closest("a[data-read]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    await ZC.api("POST", link.dataset.read);
    location.assign(link.href);
  });

  document.addEventListener("DOMContentLoaded", refreshCounts);
})();
