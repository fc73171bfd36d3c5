/* 职称申报评审服务: forms send JSON to the API, which alone validates; its errors appear beside their fields.
 *
 * <form data-api="/api/..." data-method="POST"> is serialised to JSON: checkboxes become booleans,
 * data-type="boolean" inputs too, empty values are left out, dotted names nest ("handler.name"),
 * and rows inside data-json-list="accounts" become a list (a dotted list name nests it too). On success: data-render shows returned
 * credentials, data-success-message or the response's message is shown, data-next redirects
 * ("{id}" in it is replaced by the returned id).
 * An emptied data-clearable input is sent as null, so a PATCH clears it instead of leaving it.
 * data-type="number" sends a number (times data-scale if given), data-type="list" checkboxes of one name
 * and <select multiple> send arrays, data-type="local-time" sends a datetime-local value at +08:00.
 * A row with data-row-json is sent exactly as given (a read-only row); a list marked data-keep-blank sends
 * blank rows too (so the API can say what they lack) instead of skipping them.
 * data-etag sends If-Match and keeps the returned ETag; a 412 says the data changed elsewhere and offers a
 * reload, leaving what was typed in place.
 */
(function () {
  "use strict";

  var CAPTCHA_CODES = ["captcha_required", "captcha_wrong", "captcha_invalid"];

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  /* Every call carries the CSRF token the API demands for cookie-authenticated unsafe requests. */
  async function api(method, url, body, extraHeaders) {
    var headers = Object.assign({ Accept: "application/json" }, extraHeaders || {});
    var csrf = cookie("zc_csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var data = null, status = 0, etag = null;
    try {
      var response = await fetch(url, { method: method, headers: headers, credentials: "same-origin",
                                        body: body === undefined ? undefined : JSON.stringify(body) });
      status = response.status;
      etag = response.headers.get("ETag");
      if (status !== 204) data = await response.json().catch(function () { return null; });
    } catch (e) {
      data = { code: "network", message: "网络连接失败，请检查网络后重试", field: null };
    }
    return settle(status, data, etag);
  }

  function settle(status, data, etag) {
    if (status >= 400 && !(data && data.message)) {
      data = { code: "http_" + status, message: "操作失败（" + status + "），请稍后重试", field: null };
    }
    return { ok: status >= 200 && status < 300, status: status, data: data, etag: etag || null };
  }

  /* A multipart upload through XMLHttpRequest, so a <progress> can follow it. */
  function upload(method, url, formData, progress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Accept", "application/json");
      var csrf = cookie("zc_csrf");
      if (csrf) xhr.setRequestHeader("X-CSRF-Token", csrf);
      if (progress) {
        progress.value = 0;
        progress.hidden = false;
        xhr.upload.onprogress = function (event) {
          if (event.lengthComputable) progress.value = Math.round(event.loaded / event.total * 100);
        };
      }
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (progress && xhr.status < 300) progress.value = 100;
        resolve(settle(xhr.status, data, xhr.getResponseHeader("ETag")));
      };
      xhr.onerror = function () {
        resolve(settle(0, { code: "network", message: "网络连接失败，请检查网络后重试", field: null }));
      };
      xhr.send(formData);
    });
  }

  /* ---------- serialising ---------- */

  function inputsOf(root) {
    return Array.prototype.filter.call(root.querySelectorAll("input[name], select[name], textarea[name]"),
      function (el) { return !el.disabled && !el.hasAttribute("data-ignore"); });
  }

  function valueOf(el) {
    var type = el.dataset.type;
    if (el.type === "checkbox") return type === "list" ? (el.checked ? [el.value] : []) : el.checked;
    if (el.type === "radio") return el.checked ? (type === "boolean" ? el.value === "true" : el.value) : undefined;
    if (el.multiple) return Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; });
    if (type === "boolean") return el.value === "true";
    if (el.value.trim() === "") return el.hasAttribute("data-clearable") ? null : undefined;
    if (type === "number") {
      var number = Number(el.value) * Number(el.dataset.scale || 1);
      return isNaN(number) ? el.value : Math.round(number);
    }
    if (type === "local-time") return el.value + (el.value.length === 16 ? ":00" : "") + "+08:00";
    return el.value;
  }

  /* Sets body.a.b = value for the name "a.b"; arrays of one name (checkbox lists) are joined. */
  function put(target, name, value) {
    if (value === undefined) return;
    var parts = name.split("."), node = target;
    parts.slice(0, -1).forEach(function (part) { node = node[part] = node[part] || {}; });
    var last = parts[parts.length - 1];
    node[last] = Array.isArray(value) && Array.isArray(node[last]) ? node[last].concat(value) : value;
  }

  function rowValue(row) {
    if (row.dataset.rowJson) return JSON.parse(row.dataset.rowJson);
    var item = {};
    inputsOf(row).forEach(function (el) { put(item, el.name, valueOf(el)); });
    return item;
  }

  function isBlank(root) {
    return inputsOf(root).every(function (el) {
      return el.tagName === "SELECT" || el.type === "checkbox" || el.type === "radio" || el.type === "hidden"
        || el.value.trim() === "";
    });
  }

  /* Returns the body and, per list, the rows sent (so "accounts.2.x" finds its row again). */
  function serialise(form) {
    var body = {}, rows = {}, skipped = [];
    form.querySelectorAll("[data-skip-blank]").forEach(function (box) { if (isBlank(box)) skipped.push(box); });
    form.querySelectorAll("[data-json-list]").forEach(function (list) {
      var name = list.dataset.jsonList;
      rows[name] = Array.prototype.filter.call(list.querySelectorAll("[data-row]"), function (row) {
        return row.dataset.rowJson || list.hasAttribute("data-keep-blank") || !isBlank(row);
      });
      put(body, name, rows[name].map(rowValue));
    });
    inputsOf(form).forEach(function (el) {
      if (el.closest("[data-json-list]") || skipped.some(function (box) { return box.contains(el); })) return;
      put(body, el.name, valueOf(el));
    });
    return { body: body, rows: rows };
  }

  /* ---------- messages ---------- */

  function alertBox(form) {
    var box = form.querySelector(".alert[role=alert]");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert";
      box.setAttribute("role", "alert");
      form.prepend(box);
    }
    return box;
  }

  function say(form, text, kind) {
    var box = alertBox(form);
    box.className = "alert alert-" + kind;
    box.textContent = text;
    box.hidden = false;
    reveal(box);
  }

  /* A message the person must see is brought to the middle of the screen unless it is already in full view
     (on a phone the form's top, where the alert lives, is usually far above the button just pressed). */
  function reveal(el) {
    var box = el.getBoundingClientRect();
    if (box.height && (box.top < 0 || box.bottom > window.innerHeight)) el.scrollIntoView({ block: "center" });
  }

  /* After a refused save: the first field with an error gets the focus (a keyboard or screen-reader user
     lands on it) and is scrolled into view with its message; with no such field, the form's alert is shown. */
  function revealErrors(form) {
    var note = Array.prototype.filter.call(form.querySelectorAll(".field-error"), function (el) {
      return el.getClientRects().length > 0;
    })[0];
    if (!note) {
      var box = form.querySelector(".alert[role=alert]");
      if (box && !box.hidden) reveal(box);
      return;
    }
    var host = note.closest(".has-error") || note;
    var input = host.querySelector("input:not([type=hidden]):not(.file-input), select, textarea");
    if (input) input.focus({ preventScroll: true });
    reveal(host);
  }

  function clearMessages(form) {
    form.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    var box = form.querySelector(".alert[role=alert]");
    if (box) box.hidden = true;
  }

  function byName(root, name) {
    return inputsOf(root).filter(function (el) { return el.name === name; })[0];
  }

  /* Where an error for `field` belongs: its .field, the cell of a batch row, or nowhere (→ the form alert). */
  function hostFor(form, rows, field) {
    if (!field) return null;
    // A list's own name may be dotted ("rules.blind_review.criteria"): the field is that name, a row number, a cell.
    var list = Object.keys(rows).filter(function (name) {
      return field.indexOf(name + ".") === 0 && /^\d+(\.|$)/.test(field.slice(name.length + 1));
    })[0];
    if (list) {
      var parts = field.slice(list.length + 1).split(".");
      var row = rows[list][Number(parts[0])];
      if (!row) return null;
      var cell = parts[1] && byName(row, parts.slice(1).join("."));
      var box = cell && cell.closest(".field");
      if (cell) return box && row.contains(box) ? box : cell.closest("td");
      return row.querySelector("[data-row-errors]") || row.querySelector("td");
    }
    var boxes = form.querySelectorAll("[data-field]");
    for (var i = 0; i < boxes.length; i++) if (boxes[i].dataset.field === field) return boxes[i];
    var el = byName(form, field);
    return el ? el.closest(".field") || el.parentElement : null;
  }

  function showErrors(form, rows, data) {
    var prominent = (form.dataset.alertCodes || "").split(" ");
    var errors = data.errors && data.errors.length ? data.errors : [data];
    var unplaced = [];
    errors.forEach(function (error) {
      var host = prominent.indexOf(data.code) >= 0 ? null : hostFor(form, rows, error.field);
      if (!host) { unplaced.push(error.message); return; }
      var note = document.createElement("div");
      note.className = "field-error";
      note.textContent = error.message;
      host.classList.add("has-error");
      host.appendChild(note);
    });
    if (unplaced.length) say(form, unplaced.join("；"), prominent.indexOf(data.code) >= 0 ? "danger alert-big" : "danger");
    form.querySelectorAll("[data-reveal-on]").forEach(function (el) {
      if (el.dataset.revealOn === data.code) el.hidden = false;
    });
    revealErrors(form);
  }

  /* ---------- captcha ---------- */

  async function loadCaptcha(box) {
    var result = await api("GET", "/api/auth/captcha?purpose=" + encodeURIComponent(box.dataset.captcha));
    if (!result.ok) return;
    box.querySelector("img").src = result.data.image;
    box.querySelector("input[name=captcha_id]").value = result.data.captcha_id;
    box.querySelector("input[name=captcha_answer]").value = "";
    box.hidden = false;
  }

  /* A captcha is good for one try: after any failure a shown one is replaced, a needed one appears. */
  function afterFailure(form, data) {
    var box = form.querySelector("[data-captcha]");
    if (!box) return;
    if (!box.hidden || data.captcha_required || CAPTCHA_CODES.indexOf(data.code) >= 0) loadCaptcha(box);
  }

  /* ---------- success ---------- */

  function cell(row, text, className) {
    var td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
  }

  function renderCredentials(target, data) {
    var list = Array.isArray(data) ? data : [data.account || data];
    target.innerHTML = "<div class=\"alert alert-success\">已生成以下账号。初始密码只显示这一次，请立即记录并告知本人；"
      + "首次登录须修改密码。</div><table class=\"table\"><thead><tr><th>名称</th><th>登录名</th><th>初始密码</th>"
      + "</tr></thead><tbody></tbody></table>";
    var body = target.querySelector("tbody");
    list.forEach(function (c) {
      var row = body.insertRow();
      cell(row, c.name);
      cell(row, c.login, "mono");
      cell(row, c.initial_password, "mono");
    });
    target.hidden = false;
    target.scrollIntoView({ block: "nearest" });
  }

  var successHooks = {
    login: function (form, data) {
      location.assign(data.must_change_password ? "/account/password" : form.dataset.next || "/");
      return true;
    },
    /* 录入申报: straight on to the dossier, unless an account was made: its password is shown first. */
    entry: function (form, data) {
      if (!data.account) { location.assign("/dossiers/" + data.id); return true; }
      var target = document.querySelector(form.dataset.renderTarget);
      renderCredentials(target, data);
      var link = document.createElement("a");
      link.className = "btn btn-primary";
      link.href = "/dossiers/" + data.id;
      link.textContent = "继续填写申报材料";
      target.appendChild(link);
      form.hidden = true;
      return true;
    }
  };

  function succeed(form, data) {
    var hook = successHooks[form.dataset.success];
    if (hook && hook(form, data)) return;
    if (form.dataset.render === "credentials") {
      renderCredentials(document.querySelector(form.dataset.renderTarget), data);
    }
    var message = form.dataset.successMessage || (data && data.message);
    if (message) say(form, message, "success");
    if (form.dataset.copyLogin) {
      var other = document.querySelector(form.dataset.copyLogin);
      byName(other, "login").value = byName(form, "login").value;
      byName(other, "code").focus();
    }
    var next = form.dataset.next;
    if (next && data && data.id) next = next.replace("{id}", data.id);
    if (next === "reload") location.reload();
    else if (next) setTimeout(function () { location.assign(next); }, message ? 600 : 0);
  }

  /* ---------- submitting ---------- */

  function mismatched(form) {
    var wrong = Array.prototype.filter.call(form.querySelectorAll("[data-same-as]"), function (el) {
      return el.value !== byName(form, el.dataset.sameAs).value;
    })[0];
    if (!wrong) return false;
    showErrors(form, {}, { field: wrong.name, message: "两次输入不一致", code: "mismatch" });
    return true;
  }

  /* An expired session or a forced password change is not this form's error: go where it can be resolved. */
  function leaveFor(form, result) {
    if (result.status === 401 && form.dataset.success !== "login") {
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      return true;
    }
    if (result.data.code === "password_change_required") {
      location.assign("/account/password");
      return true;
    }
    return false;
  }

  /* 412: someone saved in between. Nothing was stored; what was typed stays on the page. */
  function stale(form) {
    say(form, "已在别处修改：本页显示的不是最新内容，刚才的修改没有保存。您填写的内容仍保留在本页，"
      + "可先复制，再重新加载后修改。", "danger");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small reload";
    button.textContent = "重新加载";
    button.addEventListener("click", function () { location.reload(); });
    alertBox(form).appendChild(button);
  }

  var failureHooks = {};

  /* What every failed call does: leave for login, a hook, the 412 notice, or errors beside the fields. */
  function fail(form, result, rows) {
    if (leaveFor(form, result)) return;
    var hook = failureHooks[form.dataset.failure];
    if (hook && hook(form, result)) return;
    if (result.status === 412) { stale(form); return; }
    showErrors(form, rows || {}, result.data);
    afterFailure(form, result.data);
  }

  async function submit(form) {
    clearMessages(form);
    if (mismatched(form)) return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    var method = (form.dataset.method || "POST").toUpperCase();
    var payload = serialise(form);
    var button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    try {
      var headers = form.dataset.etag ? { "If-Match": form.dataset.etag } : undefined;
      var result = await api(method, form.dataset.api, method === "DELETE" ? undefined : payload.body, headers);
      if (result.ok) {
        if (result.etag) form.dataset.etag = result.etag;
        else if (form.dataset.etag && result.data && result.data.version !== undefined) {
          form.dataset.etag = "\"" + result.data.version + "\"";   // a response without an ETag header
        }
        succeed(form, result.data);
      } else fail(form, result, payload.rows);
    } finally {
      if (button) button.disabled = false;
    }
  }

  /* ---------- downloads ---------- */

  /* The file name the server gave: filename*=UTF-8''… first (Chinese names), then filename="…". */
  function dispositionName(header) {
    if (!header) return null;
    var star = header.match(/filename\*\s*=\s*UTF-8''([^;]+)/i);
    if (star) { try { return decodeURIComponent(star[1].trim()); } catch (e) { /* fall through */ } }
    var plain = header.match(/filename\s*=\s*"?([^";]+)"?/i);
    return plain ? plain[1] : null;
  }

  function sizeText(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + " MB";
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  /* The alert and progress bar beside a download button (in its .download wrapper). */
  function downloadParts(button) {
    var host = (button && (button.closest(".download") || button.parentElement)) || document.body;
    var box = host.querySelector(".download-status");
    if (!box) {
      box = document.createElement("div");
      box.className = "download-status";
      box.innerHTML = "<progress max=\"100\" hidden></progress><span class=\"download-progress\"></span>"
        + "<div class=\"alert\" role=\"alert\" hidden></div>";
      host.appendChild(box);
    }
    return { bar: box.querySelector("progress"), text: box.querySelector(".download-progress"),
             alert: box.querySelector(".alert") };
  }

  /* ZC.download(url, {method, body, filename, button}): fetches the file with the session, shows progress
   * (a percentage when Content-Length is known, bytes received otherwise), saves it through an <a download>,
   * and on failure shows the API's own message ({code, message}) beside the button. */
  async function download(url, options) {
    options = options || {};
    var method = (options.method || "GET").toUpperCase();
    var button = options.button || null;
    var parts = downloadParts(button);
    var headers = { Accept: "*/*" };
    var csrf = cookie("zc_csrf");
    if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    parts.alert.hidden = true;
    parts.bar.hidden = false;
    parts.bar.removeAttribute("value");
    parts.text.textContent = "正在生成…";
    if (button) button.disabled = true;
    function failed(message) {
      parts.bar.hidden = true;
      parts.text.textContent = "";
      parts.alert.className = "alert alert-danger";
      parts.alert.textContent = message;
      parts.alert.hidden = false;
      return false;
    }
    try {
      var response;
      try {
        response = await fetch(url, { method: method, headers: headers, credentials: "same-origin",
          body: options.body === undefined ? undefined : JSON.stringify(options.body) });
      } catch (e) {
        return failed("网络连接失败，请检查网络后重试");
      }
      if (!response.ok) {
        var data = await response.json().catch(function () { return null; });
        if (response.status === 401) return failed("登录已过期，请重新登录后再下载");
        return failed(data && data.message ? data.message : "下载失败（" + response.status + "），请稍后重试");
      }
      var total = Number(response.headers.get("Content-Length")) || 0;
      var chunks = [], received = 0;
      if (response.body && response.body.getReader) {
        var reader = response.body.getReader();
        for (;;) {
          var step = await reader.read();
          if (step.done) break;
          chunks.push(step.value);
          received += step.value.length;
          if (total) {
            parts.bar.value = Math.min(100, Math.round(received * 100 / total));
            parts.text.textContent = "已下载 " + parts.bar.value + "%";
          } else parts.text.textContent = "已接收 " + sizeText(received);
        }
      } else {
        chunks.push(await response.arrayBuffer());
      }
      var blob = new Blob(chunks, { type: response.headers.get("Content-Type") || "application/octet-stream" });
      var name = options.filename || dispositionName(response.headers.get("Content-Disposition"))
        || decodeURIComponent(url.split("?")[0].split("/").pop());
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
      parts.bar.hidden = true;
      parts.text.textContent = "已下载 " + name;
      return true;
    } finally {
      if (button) button.disabled = false;
    }
  }

  /* A [data-download] button: data-method, data-body (JSON) and data-picks (a table whose ticked
   * input[data-pick] become body.ids) make its request. */
  function downloadFrom(button) {
    var method = button.dataset.method || "GET";
    var body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
    if (button.dataset.picks) {
      var table = document.querySelector(button.dataset.picks);
      var ids = table ? Array.prototype.filter.call(table.querySelectorAll("input[data-pick]"), function (box) {
        return box.checked;
      }).map(function (box) { return box.value; }) : [];
      if (!ids.length) {
        var parts = downloadParts(button);
        parts.alert.className = "alert alert-warning";
        parts.alert.textContent = "请先在列表中勾选要下载的申报";
        parts.alert.hidden = false;
        return;
      }
      body = Object.assign({}, body || {}, { ids: ids });
    }
    download(button.dataset.download, { method: method, body: body, button: button,
                                        filename: button.dataset.filename });
  }

  /* ---------- small interactions ---------- */

  function initCascade(box) {
    var hidden = box.querySelector("input[type=hidden]");
    box.addEventListener("change", async function (event) {
      var select = event.target;
      var selects = Array.prototype.slice.call(box.querySelectorAll("select"));
      var index = selects.indexOf(select);
      selects.slice(index + 1).forEach(function (s) { s.remove(); });
      hidden.value = select.value || (index > 0 ? selects[index - 1].value : "");
      if (!select.value) return;
      var result = await api("GET", "/api/catalog/" + box.dataset.cascade + "?parent=" + encodeURIComponent(select.value));
      if (!result.ok || !result.data.length || select.value !== hidden.value) return;
      var child = document.createElement("select");
      child.setAttribute("aria-label", select.getAttribute("aria-label").replace(/第\d+级$/, "第" + (index + 2) + "级"));
      child.add(new Option("请选择", ""));
      result.data.forEach(function (entry) { child.add(new Option(entry.name, entry.code)); });
      box.appendChild(child);
    });
  }

  function initUnitSearch(box) {
    var text = box.querySelector("input[type=search]");
    var hidden = box.querySelector("input[type=hidden]");
    var list = box.querySelector(".suggestions");
    var timer = null;
    text.addEventListener("input", function () {
      hidden.value = "";
      clearTimeout(timer);
      timer = setTimeout(async function () {
        var q = text.value.trim();
        list.innerHTML = "";
        if (!q) { list.hidden = true; return; }
        var result = await api("GET", "/api/units?q=" + encodeURIComponent(q));
        var units = result.ok ? result.data : [];
        units.forEach(function (unit) {
          var item = document.createElement("li");
          item.setAttribute("role", "option");
          item.textContent = unit.name + "（" + unit.category_label + "）";
          item.addEventListener("click", function () {
            text.value = unit.name;
            hidden.value = unit.id;
            list.hidden = true;
          });
          list.appendChild(item);
        });
        if (!units.length) list.innerHTML = "<li class=\"none\">未找到已开通的单位</li>";
        list.hidden = false;
      }, 250);
    });
    text.addEventListener("blur", function () { setTimeout(function () { list.hidden = true; }, 200); });
  }

  function addRow(name) {
    var template = document.querySelector("template[data-row-template=\"" + name + "\"]");
    var list = document.querySelector("[data-json-list=\"" + name + "\"]");
    list.appendChild(template.content.cloneNode(true));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.api) return;
    event.preventDefault();
    submit(form);
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches("[data-add-row]")) addRow(target.dataset.addRow);
    else if (target.matches("[data-remove-row]")) {
      var row = target.closest("[data-row]");
      if (row.parentElement.querySelectorAll("[data-row]").length > 1) row.remove();
    } else if (target.matches("[data-captcha] img")) loadCaptcha(target.closest("[data-captcha]"));
    else if (target.closest("[data-download]")) {
      event.preventDefault();
      downloadFrom(target.closest("[data-download]"));
    }
  });

  /* A <select data-autosubmit> sends its form when changed (the page's CSP allows no inline handlers). */
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]") && target.form) target.form.submit();
  });

  /* For the page scripts (dossier.js, admin.js): the same calls, serialising and messages. */
  window.ZC = { api: api, upload: upload, download: download, cookie: cookie, serialise: serialise, rowValue: rowValue,
                showErrors: showErrors, revealErrors: revealErrors, reveal: reveal, clearMessages: clearMessages, say: say, alertBox: alertBox, fail: fail,
                stale: stale, successHooks: successHooks, failureHooks: failureHooks, initUnitSearch: initUnitSearch };

  /* A table too wide for the screen scrolls inside itself; the keyboard must reach it to scroll it too. */
  function focusableScrollers() {
    document.querySelectorAll(".table-scroll, .table").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
      if (scrolls && !box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      else if (!scrolls && box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    });
  }
  window.addEventListener("resize", focusableScrollers);

  document.addEventListener("DOMContentLoaded", function () {
    focusableScrollers();
    document.querySelectorAll("[data-cascade]").forEach(initCascade);
    document.querySelectorAll("[data-unit-search]").forEach(initUnitSearch);
    document.querySelectorAll("[data-captcha]:not([hidden])").forEach(loadCaptcha);
    document.querySelectorAll("template[data-row-template]").forEach(function (t) { addRow(t.dataset.rowTemplate); });
  });
})();
