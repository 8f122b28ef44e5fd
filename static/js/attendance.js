/* The attendance screen updates itself: poll attendance.json with If-None-Match; a 304
   means nothing changed, a 200 is drawn into the page without a reload. Texts come from
   the page (#attendance-strings). */
(function () {
  "use strict";

  var root = document.getElementById("attendance");
  if (!root) return;
  var strings = JSON.parse(document.getElementById("attendance-strings").textContent);
  var url = root.dataset.url;
  var etag = root.dataset.etag;
  var interval = Number(root.dataset.interval) || 3000;

  function field(name) {
    return root.querySelector('[data-field="' + name + '"]');
  }

  function row(cells, complete) {
    var tr = document.createElement("tr");
    if (complete) tr.className = "complete";
    cells.forEach(function (cell) {
      var td = document.createElement("td");
      td.textContent = cell.text;
      if (cell.num) td.className = "num";
      tr.appendChild(td);
    });
    return tr;
  }

  function fillTallies(name, tallies) {
    var body = root.querySelector('[data-list="' + name + '"]');
    var empty = strings[body.dataset.empty];
    body.replaceChildren.apply(body, tallies.map(function (t) {
      return row([
        { text: t.name || empty },
        { text: t.present, num: true },
        { text: t.expected, num: true }
      ], t.present >= t.expected);
    }));
  }

  function reasonText(d) {
    if (!d.reason) { return ""; }
    var label = strings[d.reason] || d.reason;
    return d.note ? label + ": " + d.note : label;
  }

  function render(data) {
    field("present").textContent = data.present;
    field("base").textContent = data.base;
    field("expected").textContent = data.expected;
    field("meter").style.width = (data.base ? 100 * data.present / data.base : 0) + "%";
    field("congress_expected").textContent = data.congress_expected;
    root.querySelectorAll('[data-show="roster-differs"]').forEach(function (node) {
      node.hidden = !data.roster_differs;
    });
    field("alternate").textContent = data.others_present.alternate;
    field("guest").textContent = data.others_present.guest;
    field("left_count").textContent = data.left.length;
    fillTallies("by_unit", data.by_unit);
    fillTallies("by_group", data.by_group);
    field("absent_count").textContent = data.absent.length;
    var absent = root.querySelector('[data-list="absent"]');
    absent.replaceChildren.apply(absent, data.absent.map(function (d) {
      return row([
        { text: d.number, num: true }, { text: d.full_name },
        { text: d.unit }, { text: d.discussion_group },
        { text: reasonText(d) }
      ]);
    }));
  }

  function stale(text) {
    var note = field("stale");
    note.textContent = text || "";
    note.hidden = !text;
  }

  var timer = null;
  var polling = false;

  function schedule() {
    window.clearTimeout(timer);
    // A hidden tab stops polling; showing it again polls at once.
    timer = document.hidden ? null : window.setTimeout(poll, interval);
  }

  function poll() {
    if (polling) return;
    polling = true;
    fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json", "If-None-Match": etag }
    }).then(function (response) {
      if (response.status === 304) return stale(null);
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.redirected || !json) return stale(strings.signed_out);
      if (!response.ok) return stale(strings.stale);
      etag = response.headers.get("ETag") || etag;
      return response.json().then(function (data) {
        render(data);
        stale(null);
      });
    }).catch(function () {
      stale(strings.stale);
    }).then(function () {
      polling = false;
      schedule();
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll();
  });
  schedule();
}());
