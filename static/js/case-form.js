// The submit and edit form: the draft is saved as the agent types (and when the page is closed), and
// each save answers with the personal data that will be masked, shown before the agent submits.
// Every text shown comes from the server (data attributes and the save's answer), in the user's language.
(function () {
  "use strict";
  var form = document.getElementById("case-form");
  if (!form) return;
  var url = form.dataset.draftUrl;
  var status = document.getElementById("draft-status");
  var summary = document.getElementById("mask-summary");
  var list = document.getElementById("mask-list");
  var timer = null;
  var dirty = false;
  var submitting = false;
  var SAVE_AFTER_MS = 1200;

  function body() {
    return new URLSearchParams(new FormData(form));
  }

  function showFound(answer) {
    // The summary is a live region: touch it only when it says something new, so a screen reader
    // hears what will be masked once, not after every pause in typing (the save status is not live).
    if (summary.textContent !== answer.summary) summary.textContent = answer.summary;
    list.replaceChildren();
    answer.found.forEach(function (item) {
      var li = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "mask-kind";
      kind.textContent = item.label;
      var value = document.createElement("code");
      value.textContent = item.masked;
      li.append(kind, " ", value);
      list.append(li);
    });
  }

  function save() {
    timer = null;
    if (!dirty || submitting) return;
    dirty = false;
    status.textContent = form.dataset.saving;
    fetch(url, {
      method: "POST",
      body: body(),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (answer) {
        if (submitting) return;
        status.textContent = answer.status;
        showFound(answer);
      })
      .catch(function () {
        dirty = true;
        status.textContent = form.dataset.saveFailed;
      });
  }

  function changed() {
    dirty = true;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, SAVE_AFTER_MS);
  }

  // A behaviour belongs to its value: choosing one chooses the value, and leaving a value drops its behaviours.
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name === "behaviors" && box.checked) {
      var value = document.getElementById("tag-" + box.dataset.value);
      if (value) value.checked = true;
    } else if (box.name === "tags" && !box.checked) {
      form.querySelectorAll('input[name="behaviors"][data-value="' + box.value + '"]').forEach(function (b) {
        b.checked = false;
      });
    }
    changed();
  });
  form.addEventListener("input", changed);

  // Characters as the server counts them (code points), per part and for the whole story, which holds
  // each written part under its marker, the parts a blank line apart.
  var story = document.getElementById("story-fields");
  var total = document.getElementById("story-total");
  function length(text) {
    return Array.from(text).length;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? String(values[name]) : all;
    });
  }
  function count() {
    var sum = 0;
    var written = 0;
    story.querySelectorAll(".char-count").forEach(function (counter) {
      var box = document.getElementById("f-" + counter.dataset.part);
      var text = box.value.trim();
      counter.textContent = fill(story.dataset.count, { count: length(text) });
      if (text) {
        sum += length(text) + parseInt(counter.dataset.marker, 10);
        written += 1;
      }
    });
    if (!total) return;
    sum += Math.max(0, written - 1) * 2;
    var max = parseInt(story.dataset.max, 10);
    var over = sum - max;
    total.textContent = fill(over > 0 ? story.dataset.over : story.dataset.total, { count: sum, over: over });
    total.classList.toggle("over", over > 0);
  }
  if (story) {
    story.addEventListener("input", count);
    count();
  }

  form.addEventListener("submit", function () {
    submitting = true;
    if (timer) clearTimeout(timer);
  });

  // Closing the tab or leaving the page: send what was typed since the last save.
  function flush() {
    if (!dirty || submitting) return;
    dirty = false;
    navigator.sendBeacon(url, body());
  }
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });

  // With errors, start at the list of what to correct.
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
