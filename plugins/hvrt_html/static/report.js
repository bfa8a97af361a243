/* hvrt reports: status filter, search and sorting of a test table (inlined). */
(function () {
  "use strict";
  var table = document.getElementById("tests");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.flt"));
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");

  function apply() {
    var wanted = {};
    boxes.forEach(function (b) { wanted[b.value] = b.checked; });
    var needle = search ? search.value.trim().toLowerCase() : "";
    var count = 0;
    rows.forEach(function (row) {
      var ok = wanted[row.getAttribute("data-status")] !== false &&
        (!needle || row.getAttribute("data-id").toLowerCase().indexOf(needle) !== -1);
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    if (shown) { shown.textContent = String(count); }
  }

  function sortBy(key, numeric, descending) {
    var sorted = rows.slice().sort(function (a, b) {
      var x = a.getAttribute(key), y = b.getAttribute(key);
      var r = numeric ? parseFloat(x) - parseFloat(y) : (x < y ? -1 : (x > y ? 1 : 0));
      return descending ? -r : r;
    });
    var frag = document.createDocumentFragment();
    sorted.forEach(function (row) { frag.appendChild(row); });
    body.appendChild(frag);
  }

  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  if (search) { search.addEventListener("input", apply); }
  Array.prototype.forEach.call(table.querySelectorAll("th.sortable"), function (th) {
    var descending = th.getAttribute("data-numeric") === "1";
    th.addEventListener("click", function () {
      sortBy(th.getAttribute("data-key"), th.getAttribute("data-numeric") === "1", descending);
      descending = !descending;
    });
  });
  var only = /(?:^|[#&])status=([a-z,]+)/.exec(window.location.hash);
  if (only) {
    var list = only[1].split(",");
    boxes.forEach(function (b) { b.checked = list.indexOf(b.value) !== -1; });
  }
  apply();
}());
