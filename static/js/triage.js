/* The triage page's counts, kept fresh while other secretaries triage: poll counts.json
   with If-None-Match (a 304 means nothing moved) and redraw the numbers in place, as
   stage.js does for the projector. The server's numbers and sentence only ever go into the
   page as textContent. */
(function () {
  "use strict";

  var config = document.getElementById("triage-live");
  var box = document.querySelector("[data-triage-counts]");
  if (!config || !box) return;
  config = JSON.parse(config.textContent);
  var etag = null;
  var timer = null;
  var polling = false;

  function set(name, value) {
    var node = box.querySelector('[data-count="' + name + '"]');
    if (node && value !== undefined && node.textContent !== String(value)) {
      node.textContent = String(value);
    }
  }

  function draw(data) {
    set("total", data.total_label);
    Object.keys(data.stances).forEach(function (s) { set("stance-" + s, data.stances[s]); });
    Object.keys(data.classifications).forEach(function (c) {
      set("answer-" + c, data.classifications[c]);
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    // A hidden tab stops polling; showing it again polls at once.
    timer = document.hidden ? null : window.setTimeout(poll, config.interval || 5000);
  }

  function poll() {
    if (polling) return;
    polling = true;
    var headers = { "Accept": "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(config.url, { credentials: "same-origin", cache: "no-store", headers: headers,
                        redirect: "error" })
      .then(function (response) {
        if (response.status === 304 || !response.ok) return null;
        etag = response.headers.get("ETag");
        return response.json().then(draw);
      })
      .catch(function () { /* offline or signed out for a moment: keep what is shown */ })
      .then(function () {
        polling = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll();
  });
  schedule();
}());
