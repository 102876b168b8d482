// Regwatch queue: in-place decisions and keyboard shortcuts. Plain JavaScript, no build step.
// Every change is a POST carrying the session's CSRF token in the X-CSRF-Token header.
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.dataset.csrf;

  function toast(text, bad) {
    var box = document.getElementById("toast");
    if (!box) { return; }
    box.textContent = text;
    box.className = "show" + (bad ? " bad" : "");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.className = ""; }, 2500);
  }

  function post(url, fields) {
    var data = new URLSearchParams();
    Object.keys(fields).forEach(function (name) {
      [].concat(fields[name]).forEach(function (value) { data.append(name, value); });
    });
    return fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, error: response.statusText }; })
        .then(function (json) { if (!response.ok || !json.ok) { throw new Error(json.error || response.statusText); } return json; });
    });
  }

  var table = document.getElementById("queue");
  if (!table) { return; }
  var rows = function () { return [].slice.call(table.querySelectorAll("tbody tr.row")); };
  var current = -1;
  var counter = document.getElementById("selected-count");
  var monthInput = document.getElementById("month");
  var sectionInput = document.getElementById("section");

  function updateCount() {
    if (!counter) { return; }
    var n = table.querySelectorAll("tbody input[name=ids]:checked").length;
    counter.textContent = body.dataset.msgSelected.replace("{n}", n);
  }

  function focusRow(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    all[current].scrollIntoView({ block: "nearest" });
  }

  function markDecided(row, status) {
    if (!status) { return; }
    var badge = row.querySelector("[data-role=status]");
    badge.className = "badge status " + status;
    badge.textContent = body.dataset["msg" + status.charAt(0).toUpperCase() + status.slice(1)] || status;
    row.className = row.className.replace(/status-\w+/, "status-" + status);
  }

  function decide(row, action) {
    if (!row || !monthInput) { return; }
    var fields = { ids: row.dataset.id, action: action };
    if (action === "accept") {
      fields.month = monthInput.value; fields.section = sectionInput.value;
    } else if (action === "reject") {
      var reason = window.prompt(body.dataset.msgReason, "");
      if (reason === null) { return; }
      fields.reason = reason;
    } else if (action === "snooze") {
      var soon = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
      var until = window.prompt(body.dataset.msgSnooze, soon);
      if (until === null) { return; }
      fields.until = until;
    }
    post("/decide", fields).then(function (result) {
      markDecided(row, result.status);
      toast(row.querySelector(".title").textContent.slice(0, 40) + " → " + row.querySelector("[data-role=status]").textContent);
      var index = rows().indexOf(row);
      if (index === current) { focusRow(current + 1); }
    }).catch(function (error) { toast(body.dataset.msgFailed + ": " + error.message, true); });
  }

  table.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-act]");
    if (button) { var row = button.closest("tr"); focusRow(rows().indexOf(row)); decide(row, button.dataset.act); }
  });
  table.addEventListener("change", updateCount);
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      table.querySelectorAll("tbody input[name=ids]").forEach(function (box) { box.checked = all.checked; });
      updateCount();
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var row = rows()[current];
    switch (event.key) {
      case "j": focusRow(current + 1); break;
      case "k": focusRow(current - 1); break;
      case "o": case "Enter": if (row) { window.location.href = row.querySelector("a.title").href; } break;
      case "x": if (row) { var box = row.querySelector("input[name=ids]"); if (box) { box.checked = !box.checked; updateCount(); } } break;
      case "a": decide(row, "accept"); break;
      case "r": decide(row, "reject"); break;
      case "s": decide(row, "snooze"); break;
      case "/": event.preventDefault(); document.getElementById("search").focus(); return;
      default: return;
    }
    event.preventDefault();
  });
  updateCount();
})();
