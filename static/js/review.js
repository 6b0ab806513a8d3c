// The review queue without leaving the page: each decision is posted in the background, the case
// leaves the queue, the counts go down and the next case takes the focus. Keyboard: J/K move between
// cases, O opens the story, A approves, F approves and features, R goes to the comment, Ctrl+Enter
// there rejects, Escape leaves it; 1-9 step the checklist item of that number through not assessed, met,
// not met. Without this script the same forms post and come back to the queue.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) return;
  var status = document.getElementById("queue-status");

  function cards() {
    return Array.prototype.slice.call(queue.querySelectorAll(".review-card"));
  }

  function current() {
    var active = document.activeElement;
    return (active && active.closest && active.closest(".review-card")) || null;
  }

  function focusCard(card) {
    if (!card) return;
    card.focus();
    card.scrollIntoView({ block: "nearest" });
  }

  var problem = document.getElementById("queue-error");

  // Two sentences in a row: no space after a full-width stop (Chinese), one after any other.
  function joined(first, second) {
    return /[。！？]$/.test(first) ? first + second : first + " " + second;
  }

  function announce(text) {
    problem.hidden = true;
    status.textContent = text;
    status.hidden = false;
  }

  // A decision that did not go through is an error, shown in the error style, never in the green banner.
  function alarm(text) {
    status.hidden = true;
    problem.textContent = text;
    problem.hidden = false;
  }

  function setCount(name, value) {
    document.querySelectorAll('[data-count="' + name + '"]').forEach(function (el) {
      el.textContent = String(value);
    });
  }

  function decrement(name) {
    var el = document.querySelector('[data-count="' + name + '"]');
    if (el) setCount(name, Math.max(0, parseInt(el.textContent, 10) - 1));
  }

  function done(card, answer) {
    var list = cards();
    var next = list[list.indexOf(card) + 1] || list[list.indexOf(card) - 1] || null;
    card.dataset.tags.split(" ").forEach(decrement);
    setCount("all", answer.pending);
    document.getElementById("queue-count").textContent = String(answer.pending);
    card.remove();
    if (answer.oldest !== undefined) document.getElementById("queue-oldest").textContent = answer.oldest;
    announce(joined(answer.message, queue.dataset.left.replace("{count}", answer.pending)));
    if (next) {
      focusCard(next);
    } else if (answer.pending > 0) {
      // This page is done but more cases wait (the next page, or other values): bring them in.
      window.location.reload();
    } else {
      var empty = document.getElementById("queue-empty");
      empty.hidden = false;
      empty.tabIndex = -1;
      empty.focus();
    }
  }

  function showError(card, form, text) {
    var error = card.querySelector(".field-error");
    error.textContent = text;
    error.hidden = false;
    var comment = form.querySelector("textarea");
    comment.setAttribute("aria-invalid", "true");
    comment.focus();
  }

  function decide(form, decision) {
    var card = form.closest(".review-card");
    var body = new URLSearchParams(new FormData(form));
    body.set("decision", decision);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) {
      b.disabled = true;
    });
    announce(queue.dataset.working);
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          return { ok: response.ok, status: response.status, answer: answer };
        });
      })
      .then(function (result) {
        buttons.forEach(function (b) {
          b.disabled = false;
        });
        if (result.ok) {
          done(card, result.answer);
        } else if (result.status === 422) {
          alarm(result.answer.message);
          showError(card, form, result.answer.message);
        } else if (result.status === 409 || result.status === 404) {
          // Someone else decided first, or the case is gone: it leaves this queue either way.
          var left = Math.max(0, parseInt(document.getElementById("queue-count").textContent, 10) - 1);
          done(card, { message: result.answer.message, pending: left });
        } else {
          alarm(result.answer.message || queue.dataset.failed);
        }
      })
      .catch(function () {
        buttons.forEach(function (b) {
          b.disabled = false;
        });
        alarm(queue.dataset.failed);
      });
  }

  queue.addEventListener("submit", function (event) {
    event.preventDefault();
    var submitter = event.submitter;
    decide(event.target, submitter ? submitter.value : "approve");
  });

  function press(card, decision) {
    var button = card.querySelector('button[value="' + decision + '"]');
    if (button && !button.disabled) button.click();
  }

  // One key per checklist item: the next of its three choices (not assessed, met, not met), round again.
  function stepItem(card, number) {
    var item = card.querySelector('.checklist-item[data-key="' + number + '"]');
    if (!item) return false;
    var choices = Array.prototype.slice.call(item.querySelectorAll('input[type="radio"]'));
    var checked = choices.findIndex(function (input) { return input.checked; });
    choices[(checked + 1) % choices.length].checked = true;
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.metaKey) return;
    var target = event.target;
    var typing = target.matches('input:not([type="radio"]), textarea, select, [contenteditable]');
    if (typing) {
      var typingCard = target.closest(".review-card");
      if (!typingCard || target.tagName !== "TEXTAREA") return;
      if (event.key === "Enter" && event.ctrlKey) {
        event.preventDefault();
        press(typingCard, "reject");
      } else if (event.key === "Escape") {
        focusCard(typingCard);
      }
      return;
    }
    if (event.ctrlKey) return;
    var list = cards();
    if (!list.length) return;
    var card = current();
    var index = card ? list.indexOf(card) : -1;
    switch (event.key.toLowerCase()) {
      case "j":
        focusCard(list[Math.min(index + 1, list.length - 1)]);
        break;
      case "k":
        focusCard(list[Math.max(index - 1, 0)]);
        break;
      case "o":
        if (card) {
          var details = card.querySelector("details");
          details.open = !details.open;
        }
        break;
      case "a":
        if (card) press(card, "approve");
        break;
      case "f":
        if (card) press(card, "approve_feature");
        break;
      case "r":
        if (card) card.querySelector("textarea").focus();
        break;
      default:
        if (!card || !/^[1-9]$/.test(event.key) || !stepItem(card, event.key)) return;
    }
    event.preventDefault();
  });
})();
