// Every page: on a phone the menu is one row that scrolls sideways; bring the current page's item into view.
(function () {
  "use strict";
  var current = document.querySelector('.nav a[aria-current="page"]');
  if (!current) return;
  var row = current.parentElement;
  if (row.scrollWidth <= row.clientWidth) return;
  row.scrollLeft = current.offsetLeft - (row.clientWidth - current.offsetWidth) / 2;
})();

// The case page: its related cases come after the page is shown (finding them takes longer than the page).
// Without a script, or when the fetch fails, the link to the list's own page stays.
(function () {
  "use strict";
  var box = document.querySelector("[data-related-src]");
  if (!box || !window.fetch) return;
  box.setAttribute("aria-busy", "true");
  fetch(box.getAttribute("data-related-src"), { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then(function (answer) {
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      return answer.text();
    })
    .then(function (html) {
      box.innerHTML = html; // rendered by the server, its text escaped there
    })
    .catch(function () {})
    .then(function () {
      box.removeAttribute("aria-busy");
    });
})();
