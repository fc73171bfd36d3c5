/* 职称申报评审服务: the committee side's pages (uses window.ZC from app.js).
 *
 * - <form data-multipart="/api/..."> is sent as multipart/form-data with an upload progress bar (公示意见 with
 *   an objection's proof file; 流程附件 on the review page); its errors land beside the fields like any form's;
 *   on success it reloads, or goes to data-next ("{number}" replaced by the returned case number);
 * - the meeting's expert list: [data-expert-search] looks experts up by name (GET /api/experts?q=) and adds
 *   them to [data-members] as ticked member_ids checkboxes, so the plain members form PUTs the whole list;
 *   a member's 移除 takes the row away before saving.
 */
(function () {
  "use strict";

  var ZC = window.ZC;

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /* ---------- multipart forms ---------- */

  async function sendMultipart(form, button) {
    ZC.clearMessages(form);
    var data = new FormData(form);
    var file = form.querySelector("input[type=file]");
    if (file && !file.files.length) data.delete(file.name);     // no empty file part: the API reads it as a file
    if (button) button.disabled = true;
    try {
      var result = await ZC.upload("POST", form.dataset.multipart, data, form.querySelector("progress"));
      if (result.ok && form.dataset.next) location.assign(form.dataset.next.replace("{number}", result.data.number || ""));
      else if (result.ok) location.reload();
      else ZC.fail(form, result);
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.multipart) return;
    event.preventDefault();
    sendMultipart(form, event.submitter);
  });

  /* ---------- the meeting's experts ---------- */

  function memberRow(list, expert) {
    if (list.querySelector("[data-member=\"" + expert.id + "\"]")) return;
    var item = element("li", null);
    item.dataset.member = expert.id;
    var box = element("input");
    box.type = "checkbox";
    box.name = "member_ids";
    box.value = expert.id;
    box.checked = true;
    box.hidden = true;
    box.dataset.type = "list";
    item.appendChild(box);
    item.appendChild(element("strong", null, expert.name));
    var units = (expert.units || []).map(function (u) { return u.name; }).filter(Boolean).join("、");
    if (units) item.appendChild(element("span", "muted", "（" + units + "）"));
    item.appendChild(element("span", "tag tag-warn", "未保存"));
    var remove = element("button", "btn btn-small", "移除");
    remove.type = "button";
    remove.setAttribute("data-remove-member", "");
    item.appendChild(remove);
    list.appendChild(item);
    var empty = list.parentElement.querySelector("[data-members-empty]");
    if (empty) empty.hidden = true;
  }

  function initExpertSearch(box) {
    var input = box.querySelector("input[type=search]");
    var suggestions = box.querySelector(".suggestions");
    var list = document.querySelector(box.dataset.expertSearch);
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        var q = input.value.trim();
        suggestions.innerHTML = "";
        if (!q) { suggestions.hidden = true; return; }
        var result = await ZC.api("GET", "/api/experts?q=" + encodeURIComponent(q));
        var experts = result.ok ? result.data : [];
        experts.forEach(function (expert) {
          var units = (expert.units || []).map(function (u) { return u.name; }).filter(Boolean).join("、");
          var item = element("li", null, expert.name + (units ? "（" + units + "）" : ""));
          item.setAttribute("role", "option");
          item.addEventListener("click", function () {
            memberRow(list, expert);
            input.value = "";
            suggestions.hidden = true;
          });
          suggestions.appendChild(item);
        });
        if (!experts.length) suggestions.innerHTML = "<li class=\"none\">未找到该姓名的评审专家</li>";
        suggestions.hidden = false;
      }, 250);
    });
    input.addEventListener("blur", function () { setTimeout(function () { suggestions.hidden = true; }, 200); });
  }

  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-member]");
    if (remove) remove.closest("li").remove();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-expert-search]").forEach(initExpertSearch);
  });
})();
