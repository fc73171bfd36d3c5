/* 职称申报评审服务: the administrator's pages (uses window.ZC from app.js).
 *
 * - dictionaries: an entry is saved with PUT /api/catalog/{dictionary}/{code}; 编辑 fills the form from a row;
 *   a JSON file is imported with POST /api/catalog/import and its error is shown beside the file;
 * - batches: notice attachments and replacement form templates upload with a progress bar ([data-file-uploader],
 *   its data-url and data-method); the batch form itself is a plain data-api form.
 */
(function () {
  "use strict";

  var ZC = window.ZC;

  function field(form, name) { return form.querySelector("[name=\"" + name + "\"]"); }

  function fieldError(form, name, message) {
    ZC.showErrors(form, {}, { field: name, message: message, code: "invalid" });
  }

  /* ---------- dictionaries ---------- */

  function fillEntry(form, entry) {
    ZC.clearMessages(form);
    field(form, "dictionary").value = entry.dictionary;
    field(form, "code").value = entry.code;
    field(form, "name").value = entry.name;
    field(form, "parent").value = entry.parent || "";
    field(form, "sort").value = entry.sort;
    field(form, "enabled").checked = entry.enabled;
    field(form, "extra").value = entry.extra && Object.keys(entry.extra).length ? JSON.stringify(entry.extra) : "";
    form.scrollIntoView({ block: "start" });
    field(form, "name").focus();
  }

  async function saveEntry(form) {
    ZC.clearMessages(form);
    var dictionary = field(form, "dictionary").value.trim(), code = field(form, "code").value.trim();
    // The dictionary and the code name the address of the entry, so they must be there before any call.
    if (!dictionary) return fieldError(form, "dictionary", "此项必填");
    if (!code) return fieldError(form, "code", "此项必填");
    var extra = {};
    var extraText = field(form, "extra").value.trim();
    if (extraText) {
      try { extra = JSON.parse(extraText); } catch (e) { return fieldError(form, "extra", "扩展属性不是有效的 JSON"); }
    }
    var body = { name: field(form, "name").value.trim(), parent: field(form, "parent").value.trim() || null,
                 enabled: field(form, "enabled").checked, extra: extra };
    var sort = field(form, "sort").value.trim();
    if (sort) body.sort = Number(sort);
    var url = "/api/catalog/" + encodeURIComponent(dictionary) + "/" + encodeURIComponent(code);
    var result = await ZC.api("PUT", url, body);
    if (result.ok) {
      ZC.say(form, "已保存条目 " + code, "success");
      setTimeout(function () { location.assign("/admin/dictionaries?name=" + encodeURIComponent(dictionary)); }, 500);
    } else ZC.fail(form, result);
  }

  async function importFile(form) {
    ZC.clearMessages(form);
    var input = form.querySelector("input[type=file]");
    if (!input.files[0]) return fieldError(form, "file", "请选择要导入的 JSON 文件");
    var data = new FormData();
    data.append("file", input.files[0]);
    var progress = form.querySelector("progress");
    var result = await ZC.upload("POST", "/api/catalog/import", data, progress);
    progress.hidden = true;
    if (result.ok) {
      ZC.say(form, "已导入 " + result.data.imported + " 条字典条目", "success");
      setTimeout(function () { location.reload(); }, 800);
    } else {
      // Errors name a place in the file (e.g. titles.3): they are about the file.
      ZC.fail(form, { status: result.status, data: Object.assign({}, result.data, { field: "file", errors: null }) });
    }
  }

  /* ---------- batches ---------- */

  async function uploadFile(box, input) {
    var file = input.files[0];
    if (!file) return;
    box.classList.remove("has-error");
    box.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    var data = new FormData();
    data.append("file", file);
    var status = box.querySelector(".upload-status");
    status.textContent = "正在上传 " + file.name + " …";
    var result = await ZC.upload(box.dataset.method || "POST", box.dataset.url, data, box.querySelector("progress"));
    input.value = "";
    if (result.ok) {
      status.textContent = "已上传 " + file.name;
      setTimeout(function () { location.reload(); }, 300);
      return;
    }
    status.textContent = "";
    box.querySelector("progress").hidden = true;
    var note = document.createElement("div");
    note.className = "field-error";
    note.textContent = result.data.message;
    box.classList.add("has-error");
    box.querySelector(".upload-row").after(note);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-entry-form]")) { event.preventDefault(); saveEntry(form); }
    else if (form.matches("[data-import-form]")) { event.preventDefault(); importFile(form); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-edit-entry]");
    if (button) fillEntry(document.querySelector("[data-entry-form]"), JSON.parse(button.dataset.editEntry));
  });

  document.addEventListener("change", function (event) {
    var box = event.target.closest("[data-file-uploader]");
    if (box && event.target.matches("[data-upload]")) uploadFile(box, event.target);
  });
})();
