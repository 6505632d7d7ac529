// The plan report's item list: search, filter by action, volume and declaration, sort by a
// column, and a page of rows at a time (a plan of 100,000 items is never 100,000 rows in the
// document). Inlined into the page by render_html.py. The data comes from the JSON element
// #plan-items; every value is written with textContent, never as markup, so a file named
// "<script>" stays text.
(function () {
  "use strict";
  var PAGE = 100;
  var source = document.getElementById("plan-items");
  if (!source) { document.body.setAttribute("data-ready", "true"); return; }
  var data = JSON.parse(source.textContent);
  var col = data.columns;
  var count = data.count;
  var all = new Array(count);
  for (var i = 0; i < count; i++) { all[i] = i; }
  var state = { query: "", action: -1, volume: -1, decl: -1, sort: null, desc: false, page: 0 };
  var shown = all;
  var haystack = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function human(n) {
    if (n === null || n === undefined) { return "size unknown"; }
    var units = ["B", "kB", "MB", "GB", "TB", "PB"];
    var v = n;
    for (var u = 0; u < units.length; u++) {
      if (v < 999.5 || u === units.length - 1) {
        if (u === 0) { return n + " B"; }
        return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + " " + units[u];
      }
      v /= 1000;
    }
    return n + " B";
  }
  function fill(select, names) {
    for (var k = 0; k < names.length; k++) {
      var option = el("option", names[k]);
      option.value = String(k);
      select.appendChild(option);
    }
  }
  function declOf(k) { return col.decl[k]; }
  function inDecl(k, d) {
    var v = declOf(k);
    return typeof v === "number" ? v === d : v.indexOf(d) >= 0;
  }
  function firstDecl(k) { var v = declOf(k); return typeof v === "number" ? v : v[0]; }
  function destination(k) { return data.volumes[col.volume[k]] + ":" + col.location[k]; }
  function hay() {
    if (haystack === null) {
      haystack = new Array(count);
      for (var k = 0; k < count; k++) {
        haystack[k] = (col.source[k] + "\n" + destination(k) + "\n" + col.id[k] + "\n" +
          data.reasons[col.reason[k]]).toLowerCase();
      }
    }
    return haystack;
  }
  var keys = {
    action: function (k) { return col.action[k]; },
    source: function (k) { return col.source[k]; },
    destination: function (k) { return destination(k); },
    size: function (k) { return col.size[k] === null ? -1 : col.size[k]; },
    decl: function (k) { return firstDecl(k); }
  };

  function apply() {
    var q = state.query.toLowerCase();
    var h = q ? hay() : null;
    var out = [];
    for (var k = 0; k < count; k++) {
      if (state.action >= 0 && col.action[k] !== state.action) { continue; }
      if (state.volume >= 0 && col.volume[k] !== state.volume) { continue; }
      if (state.decl >= 0 && !inDecl(k, state.decl)) { continue; }
      if (h !== null && h[k].indexOf(q) < 0) { continue; }
      out.push(k);
    }
    if (state.sort) {
      var key = keys[state.sort];
      var sign = state.desc ? -1 : 1;
      out.sort(function (a, b) {
        var x = key(a), y = key(b);
        return x < y ? -sign : x > y ? sign : a - b;
      });
    }
    shown = out;
    state.page = 0;
    draw();
  }

  function draw() {
    var body = $("items-body");
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (state.page >= pages) { state.page = pages - 1; }
    var start = state.page * PAGE;
    var end = Math.min(shown.length, start + PAGE);
    var rows = document.createDocumentFragment();
    for (var n = start; n < end; n++) {
      var k = shown[n];
      var tr = el("tr");
      var action = data.actions[col.action[k]];
      var tag = el("span", action, "tag a-" + action);
      var cell = el("td");
      cell.appendChild(tag);
      tr.appendChild(cell);
      var src = el("td", col.source[k], "mono");
      if (col.id[k] && col.id[k] !== col.source[k]) { src.title = col.id[k]; }
      tr.appendChild(src);
      tr.appendChild(el("td", destination(k), "mono"));
      tr.appendChild(el("td", human(col.size[k]), "num"));
      var d = firstDecl(k);
      tr.appendChild(el("td", d >= 0 ? data.declarations[d] : "", "mono"));
      tr.appendChild(el("td", data.reasons[col.reason[k]]));
      tr.setAttribute("data-volume", data.volumes[col.volume[k]]);
      tr.setAttribute("data-action", action);
      rows.appendChild(tr);
    }
    body.textContent = "";
    body.appendChild(rows);
    var counter = $("items-count");
    counter.setAttribute("data-shown", String(shown.length));
    counter.setAttribute("data-query", state.query);
    counter.textContent = shown.length === count
      ? count.toLocaleString("en-US") + " items"
      : shown.length.toLocaleString("en-US") + " of " + count.toLocaleString("en-US") + " items";
    $("page-info").textContent = shown.length
      ? "rows " + (start + 1).toLocaleString("en-US") + "\u2013" + end.toLocaleString("en-US") +
        " (page " + (state.page + 1) + " of " + pages + ")"
      : "no item matches";
    $("page-prev").disabled = state.page === 0;
    $("page-next").disabled = state.page >= pages - 1;
  }

  fill($("filter-action"), data.actions);
  fill($("filter-volume"), data.volumes);
  fill($("filter-decl"), data.declarations);
  var timer = null;
  $("search").addEventListener("input", function (event) {
    clearTimeout(timer);
    var value = event.target.value;
    timer = setTimeout(function () { state.query = value; apply(); }, 150);
  });
  [["filter-action", "action"], ["filter-volume", "volume"], ["filter-decl", "decl"]].forEach(
    function (pair) {
      $(pair[0]).addEventListener("change", function (event) {
        state[pair[1]] = Number(event.target.value);
        apply();
      });
    }
  );
  var headers = document.querySelectorAll("th.sortable");
  Array.prototype.forEach.call(headers, function (th) {
    th.addEventListener("click", function () {
      var name = th.getAttribute("data-sort");
      state.desc = state.sort === name ? !state.desc : false;
      state.sort = name;
      Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", state.desc ? "descending" : "ascending");
      apply();
    });
  });
  $("page-prev").addEventListener("click", function () { state.page -= 1; draw(); });
  $("page-next").addEventListener("click", function () { state.page += 1; draw(); });
  draw();
  document.body.setAttribute("data-ready", "true");
})();
