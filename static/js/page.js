// Every page: on a phone the menu is one row that scrolls sideways; bring the current page's item into view.
(function () {
  "use strict";
  var current = document.querySelector('.nav a[aria-current="page"]');
  if (!current) return;
  var row = current.parentElement;
  if (row.scrollWidth <= row.clientWidth) return;
  row.scrollLeft = current.offsetLeft - (row.clientWidth - current.offsetWidth) / 2;
})();
