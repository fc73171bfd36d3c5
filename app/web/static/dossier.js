/* 职称申报评审服务: the applicant's dossier pages (uses window.ZC from app.js).
 *
 * - the commitment page keeps its button disabled until 我已阅读并同意 is ticked;
 * - the declaration form cascades series/level → title and series → specialty through /api/catalog, and
 *   shows a field marked data-when="name=value" only while that choice is made;
 * - list sections are edited row by row in the page; every save PUTs the whole {"rows": [...]} with
 *   If-Match, and rows.N.field errors open row N beside the field;
 * - attachments upload with XMLHttpRequest and a progress bar, and can be previewed, replaced, deleted;
 *   each such change moves the dossier's version, and the page's forms follow the versions it wrote itself;
 * - the summary counts its characters; 确认申报 asks in a dialog and lists what is missing.
 */
(function () {
  "use strict";

  var ZC = window.ZC;

  function $(root, selector) { return root.querySelector(selector); }
  function all(root, selector) { return Array.prototype.slice.call(root.querySelectorAll(selector)); }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /* The dossier versions this page wrote itself. An attachment change answers the dossier's new ETag; a
   * form whose ETag is the version just before one of ours moves on to it (even when answers arrive out
   * of order), so its next save is not refused as stale. A change made elsewhere still gets its 412. */
  var ownVersions = {};

  function versionOf(etag) { return Number(String(etag).replace(/^W\//, "").replace(/"/g, "")); }

  function followOwnWrite(result) {
    var version = result.etag ? versionOf(result.etag) : (result.data || {}).dossier_version;
    if (!(version > 0)) return;
    ownVersions[version] = true;
    all(document, "[data-etag]").forEach(function (el) {
      var current = versionOf(el.dataset.etag);
      while (ownVersions[current + 1]) current += 1;
      el.dataset.etag = "\"" + current + "\"";
    });
  }

  function toLogin() {
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }

  /* ---------- the commitment ---------- */

  function initAgreeGate(form) {
    var box = $(form, "input[type=checkbox]"), button = $(form, "[type=submit]");
    function sync() { button.disabled = !box.checked; }
    box.addEventListener("change", sync);
    sync();
  }

  /* ---------- the declaration form ---------- */

  function currentValue(form, name) {
    var checked = form.querySelector("input[name=\"" + name + "\"]:checked");
    if (checked) return checked.value;
    var el = form.querySelector("[name=\"" + name + "\"]");
    return el ? el.value : "";
  }

  /* A data-when box is shown, and its inputs sent, only while its condition holds. */
  function syncConditions(form) {
    all(form, "[data-when]").forEach(function (box) {
      var parts = box.dataset.when.split("=");
      var on = currentValue(form, parts[0]) === parts[1];
      box.hidden = !on;
      all(box, "input, select, textarea").forEach(function (el) { el.disabled = !on; });
    });
  }

  function fill(select, entries, emptyText) {
    var keep = select.value;
    select.innerHTML = "";
    select.add(new Option(entries.length ? "请选择" : emptyText, ""));
    entries.forEach(function (entry) { select.add(new Option(entry.name, entry.code)); });
    if (entries.some(function (entry) { return entry.code === keep; })) select.value = keep;
    else if (entries.length === 1) select.value = entries[0].code;
  }

  function initDeclaration(form) {
    var series = $(form, "[name=series]"), level = $(form, "[name=level]");
    var title = $(form, "[name=title]"), specialty = $(form, "[name=specialty]");
    var allowed = JSON.parse(form.dataset.batchSpecialties || "[]");
    var turn = 0;

    async function refresh() {
      var mine = ++turn;
      if (!series.value) {
        fill(title, [], "请先选择系列和级别");
        fill(specialty, [], "请先选择系列");
        return;
      }
      var parent = encodeURIComponent(series.value);
      var results = await Promise.all([ZC.api("GET", "/api/catalog/titles?parent=" + parent),
                                       ZC.api("GET", "/api/catalog/specialties?parent=" + parent)]);
      if (mine !== turn) return;   // a later choice is being loaded
      var titles = results[0].ok ? results[0].data : [], specialties = results[1].ok ? results[1].data : [];
      fill(title, level.value ? titles.filter(function (e) { return e.extra && e.extra.level === level.value; }) : [],
           level.value ? "该系列没有这一级别的职称" : "请先选择级别");
      fill(specialty, specialties.filter(function (e) { return !allowed.length || allowed.indexOf(e.code) >= 0; }),
           "本批次不受理该系列的专业");
    }

    series.addEventListener("change", refresh);
    level.addEventListener("change", refresh);
    form.addEventListener("change", function () { syncConditions(form); });
    syncConditions(form);
  }

  /* A dossier that already exists for this batch: say so and link to it. */
  ZC.failureHooks.declare = function (form, result) {
    if (result.data.code !== "dossier_exists" || !result.data.dossier_id) return false;
    ZC.say(form, result.data.message + " ", "danger");
    var link = element("a", null, "打开已有的申报");
    link.href = "/dossiers/" + encodeURIComponent(result.data.dossier_id);
    ZC.alertBox(form).appendChild(link);
    return true;
  };

  /* ---------- what is still missing, after every change on a section page ---------- */

  async function refreshCompleteness() {
    var card = document.querySelector("[data-completeness]");
    if (!card) return;
    var result = await ZC.api("GET", card.dataset.completeness);
    if (!result.ok) return;
    result.data.sections.forEach(function (part) {
      var missing = part.missing.length > 0;
      var link = document.querySelector("[data-nav-section=\"" + part.section + "\"]");
      if (link) {
        link.classList.toggle("missing", missing);
        link.classList.toggle("filled", !missing && part.filled);
        link.classList.toggle("blank", !missing && !part.filled);
      }
      if (part.section === card.dataset.section) {
        var note = document.getElementById("section-missing");
        note.hidden = !missing;
        $(note, "[data-missing-text]").textContent = part.missing.join("；");
        var check = document.getElementById("section-warnings");
        var warnings = part.warnings || [];
        if (check) {
          check.hidden = warnings.length === 0;
          $(check, "[data-warning-text]").textContent = warnings.join("；");
        }
      }
    });
  }

  ZC.successHooks.section = function () {
    refreshCompleteness();
    return false;   // and then the usual 已保存
  };

  /* ---------- list sections ---------- */

  function newRowId() {
    var bytes = new Uint8Array(5);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function rowsOf(form) { return all(form, "[data-row]"); }

  function inputsOf(row) { return all(row, "input[name], select[name], textarea[name]"); }

  function byName(row, name) {
    return inputsOf(row).filter(function (el) { return el.name === name; })[0];
  }

  function renumber(form) {
    var rows = rowsOf(form);
    rows.forEach(function (row, index) { $(row, "[data-row-number]").textContent = index + 1; });
    $(form, "[data-empty]").hidden = rows.length > 0;
  }

  function shownText(el) {
    if (el.type === "checkbox") return el.checked ? "是" : "否";
    if (el.tagName === "SELECT") return el.value ? el.selectedOptions[0].text : "";
    return el.value.trim();
  }

  function refreshDisplay(row) {
    all(row, "[data-show]").forEach(function (cell) {
      var el = byName(row, cell.dataset.show);
      if (el) cell.textContent = shownText(el) || cell.dataset.blank;
    });
  }

  /* What the API stored (stripped, a rank like "1 / 3" as "1/3") goes back into the inputs. */
  function applyStored(row, stored) {
    if (!stored) return;
    inputsOf(row).forEach(function (el) {
      if (!(el.name in stored) || el.type === "hidden") return;
      var value = stored[el.name];
      if (el.type === "checkbox") el.checked = !!value;
      else el.value = value === null || value === undefined ? "" : String(value);
    });
  }

  function remember(row) {
    row._saved = inputsOf(row).map(function (el) { return [el, el.type === "checkbox" ? el.checked : el.value]; });
  }

  function restore(row) {
    (row._saved || []).forEach(function (pair) {
      if (pair[0].type === "checkbox") pair[0].checked = pair[1];
      else pair[0].value = pair[1];
    });
  }

  function openEditor(row) {
    var editor = $(row, ".row-editor");
    if (!editor || !editor.hidden) return;
    remember(row);
    editor.hidden = false;
  }

  function closeEditor(row) {
    var editor = $(row, ".row-editor");
    if (editor) editor.hidden = true;
    all(row, ".field-error").forEach(function (el) { el.remove(); });
    all(row, ".has-error").forEach(function (el) { el.classList.remove("has-error"); });
  }

  function addRow(form) {
    var template = $(form, "template[data-new-row]");
    var holder = document.createElement("template");
    holder.innerHTML = "<table>" + template.innerHTML.split("__ROW__").join(newRowId()) + "</table>";
    var row = holder.content.querySelector("[data-row]");
    $(form, "[data-json-list]").appendChild(row);
    renumber(form);
    var first = $(row, ".row-editor input:not([type=hidden]), .row-editor select, .row-editor textarea");
    if (first) first.focus();
  }

  async function saveList(form, done) {
    ZC.clearMessages(form);
    var payload = ZC.serialise(form);
    var buttons = all(form, "button");
    buttons.forEach(function (b) { b.disabled = true; });
    var result;
    try {
      result = await ZC.api("PUT", form.dataset.url, payload.body, { "If-Match": form.dataset.etag });
    } finally {
      buttons.forEach(function (b) { b.disabled = false; });
    }
    if (result.ok) {
      form.dataset.etag = result.etag || "\"" + result.data.version + "\"";
      var stored = {};
      ((result.data.data || {}).rows || []).forEach(function (r) { stored[r.id] = r; });
      rowsOf(form).forEach(function (row) {
        applyStored(row, stored[row.dataset.rowId]);
        refreshDisplay(row);
        closeEditor(row);
        row.removeAttribute("data-new");
        var uploader = $(row, "[data-uploader]");
        if (uploader) uploader.removeAttribute("data-pending");
      });
      renumber(form);
      ZC.say(form, done || "已保存", "success");
      refreshCompleteness();
      return true;
    }
    ZC.fail(form, result, payload.rows);
    payload.rows.rows.forEach(function (row) { if ($(row, ".has-error, .field-error")) openEditor(row); });
    ZC.revealErrors(form);
    return false;
  }

  async function deleteRow(form, row) {
    var number = $(row, "[data-row-number]").textContent;
    var files = all(row, "[data-attachment]").length;
    if (!window.confirm("确定删除第" + number + "项？" + (files ? "其证明材料将一并删除。" : ""))) return;
    if (row.hasAttribute("data-new")) {
      row.remove();
      renumber(form);
      return;
    }
    var parent = row.parentNode, next = row.nextSibling;
    row.remove();
    renumber(form);
    if (!(await saveList(form, "已删除"))) {
      parent.insertBefore(row, next);   // not deleted after all
      renumber(form);
    }
  }

  function initSectionList(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      saveList(form);
    });
    form.addEventListener("click", function (event) {
      var target = event.target.closest("button");
      if (!target) return;
      var row = target.closest("[data-row]");
      if (target.matches("[data-add-row-card]")) addRow(form);
      else if (target.matches("[data-edit-row]")) openEditor(row);
      else if (target.matches("[data-delete-row]")) deleteRow(form, row);
      else if (target.matches("[data-cancel-row]")) {
        if (row.hasAttribute("data-new")) { row.remove(); renumber(form); }
        else { restore(row); closeEditor(row); }
      }
    });
  }

  /* ---------- attachments ---------- */

  function sizeText(size) {
    if (size >= 1024 * 1024) return (size / 1024 / 1024).toFixed(1).replace(/\.0$/, "") + " MB";
    return Math.max(1, Math.round(size / 1024)) + " KB";
  }

  function attachmentUrl(box, id) {
    return "/api/dossiers/" + box.dataset.dossier + "/attachments/" + encodeURIComponent(id);
  }

  function fileItem(box, ref) {
    var item = element("li");
    item.dataset.attachment = ref.id;
    var link = element("a", "file-name", ref.filename);
    link.href = attachmentUrl(box, ref.id) + "?inline=true";
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "在新窗口中预览";
    item.appendChild(link);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(element("span", "muted file-meta", sizeText(ref.size) + (ref.kind === "pdf" ? " · " + ref.pages + "页" : "")));
    var actions = element("span", "file-actions");
    if (!box.hasAttribute("data-photo")) {
      var label = element("label", "btn btn-small", "替换");
      var input = element("input", "file-input");
      input.type = "file";
      input.accept = box.dataset.accept;
      input.setAttribute("data-replace", "");
      input.setAttribute("aria-label", "替换 " + ref.filename);
      label.appendChild(input);
      actions.appendChild(label);
      actions.appendChild(document.createTextNode(" "));
    }
    var remove = element("button", "btn btn-small btn-danger", "删除");
    remove.type = "button";
    remove.setAttribute("data-delete-file", "");
    actions.appendChild(remove);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(actions);
    return item;
  }

  function uploadError(box, message) {
    var note = element("div", "field-error", message);
    box.classList.add("has-error");
    $(box, ".upload-row").after(note);
    ZC.reveal(note);
  }

  function clearUploadError(box) {
    box.classList.remove("has-error");
    all(box, ".field-error").forEach(function (el) { el.remove(); });
  }

  function countFiles(box) {
    var row = box.closest("[data-row]");
    var cell = row && $(row, "[data-file-count]");
    if (cell) cell.textContent = all(box, "[data-attachment]").length + " 份";
  }

  function showPhoto(box, ref) {
    var card = box.closest(".photo-box");
    if (!card) return;
    var image = $(card, "[data-photo-preview]");
    image.hidden = !ref;
    $(card, "[data-photo-empty]").hidden = !!ref;
    if (ref) image.src = attachmentUrl(box, ref.id) + "?inline=true&v=" + Date.now();
  }

  async function send(box, method, url, file, fields) {
    clearUploadError(box);
    var data = new FormData();
    Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
    data.append("file", file);
    var status = $(box, ".upload-status");
    status.textContent = "正在上传 " + file.name + " …";
    var progress = $(box, "progress");
    var result = await ZC.upload(method, url, data, progress);
    progress.hidden = !result.ok;   // a full bar stays beside 已上传
    status.textContent = result.ok ? "已上传 " + file.name : "";
    if (result.status === 401) toLogin();
    else if (!result.ok) uploadError(box, result.data.message);
    return result;
  }

  async function uploadNew(box, input) {
    var file = input.files[0];
    if (!file) return;
    var fields = { section: box.dataset.section };
    if (box.dataset.rowId) fields.row_id = box.dataset.rowId;
    var result = await send(box, "POST", "/api/dossiers/" + box.dataset.dossier + "/attachments", file, fields);
    input.value = "";
    if (!result.ok) return;
    followOwnWrite(result);
    var list = $(box, ".files");
    if (box.hasAttribute("data-photo")) {
      list.innerHTML = "";   // the new photo replaces the old one
      showPhoto(box, result.data);
    }
    list.appendChild(fileItem(box, result.data));
    countFiles(box);
    refreshCompleteness();
  }

  async function replaceFile(box, input) {
    var file = input.files[0], item = input.closest("[data-attachment]");
    if (!file) return;
    var result = await send(box, "PUT", attachmentUrl(box, item.dataset.attachment), file, {});
    input.value = "";
    if (!result.ok) return;
    followOwnWrite(result);
    item.replaceWith(fileItem(box, result.data));
  }

  async function deleteFile(box, item) {
    var name = $(item, ".file-name").textContent;
    if (!window.confirm("确定删除附件“" + name + "”？")) return;
    clearUploadError(box);
    var result = await ZC.api("DELETE", attachmentUrl(box, item.dataset.attachment));
    if (result.status === 401) { toLogin(); return; }
    if (!result.ok) { uploadError(box, result.data.message); return; }
    followOwnWrite(result);
    item.remove();
    if (box.hasAttribute("data-photo")) showPhoto(box, null);
    countFiles(box);
    refreshCompleteness();
  }

  document.addEventListener("change", function (event) {
    var target = event.target, box = target.closest("[data-uploader]");
    if (!box) return;
    if (target.matches("[data-upload]")) uploadNew(box, target);
    else if (target.matches("[data-replace]")) replaceFile(box, target);
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    if (target.matches("[data-delete-file]")) deleteFile(target.closest("[data-uploader]"), target.closest("[data-attachment]"));
    else if (target.matches("[data-open-dialog]")) {
      var dialog = document.querySelector(target.dataset.openDialog);
      ZC.clearMessages($(dialog, "form"));
      dialog.showModal();
    } else if (target.matches("[data-close-dialog]")) target.closest("dialog").close();
  });

  /* ---------- the summary's counter ---------- */

  function initCounter(counter) {
    var area = document.getElementById(counter.dataset.counterFor);
    var limit = Number(counter.dataset.limit);
    function update() {
      var count = Array.from(area.value.replace(/\s/g, "")).length;
      $(counter, "[data-count]").textContent = count;
      counter.classList.toggle("over", count > limit);
    }
    area.addEventListener("input", update);
    update();
  }

  /* ---------- 确认申报 ---------- */

  ZC.failureHooks.submit = function (form, result) {
    if (result.data.code !== "incomplete" || !result.data.missing) return false;
    form.closest("dialog").close();
    var box = document.querySelector(form.dataset.result);
    var dossier = location.pathname.split("/")[2];
    box.className = "alert alert-danger";
    box.innerHTML = "";
    box.appendChild(element("strong", null, "申报材料不完整，请补充以下内容后再确认申报："));
    var list = element("ul");
    result.data.missing.forEach(function (part) {
      var item = element("li");
      var link = element("a", null, part.label);
      link.href = part.section === "declaration" || part.section === "commitment"
        ? "#declaration" : "/dossiers/" + dossier + "/sections/" + part.section;
      item.appendChild(link);
      item.appendChild(document.createTextNode("：" + part.missing.join("；")));
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
    box.scrollIntoView({ block: "center" });
    return true;
  };

  document.addEventListener("DOMContentLoaded", function () {
    all(document, "form[data-agree-gate]").forEach(initAgreeGate);
    all(document, "form[data-declaration]").forEach(initDeclaration);
    all(document, "form[data-section-list]").forEach(initSectionList);
    all(document, "[data-counter-for]").forEach(initCounter);
  });
})();
