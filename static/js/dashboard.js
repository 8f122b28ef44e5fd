/* The dashboard's "Present now" follows the door without a reload: poll attendance.json (the
   clock's session) with If-None-Match, as the attendance page does; a 304 means nobody came
   or left. Only numbers and the session's name go into the page, as textContent. */
(function () {
  "use strict";

  var card = document.getElementById("present-now");
  if (!card) return;
  var etag = card.dataset.etag;
  var interval = Number(card.dataset.interval) || 3000;
  var timer = null;
  var polling = false;

  function field(name) {
    return card.querySelector('[data-field="' + name + '"]');
  }

  function draw(data) {
    field("present").textContent = data.present;
    field("base").textContent = data.base;
    var session = field("session");
    session.textContent = data.session ? data.session.name : session.dataset.none;
  }

  function schedule() {
    window.clearTimeout(timer);
    // A hidden tab stops polling; showing it again polls at once.
    timer = document.hidden ? null : window.setTimeout(poll, interval);
  }

  function poll() {
    if (polling) return;
    polling = true;
    var headers = { "Accept": "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(card.dataset.url, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304 || !response.ok) return null;
        etag = response.headers.get("ETag") || etag;
        return response.json().then(draw);
      })
      .catch(function () { /* offline for a moment: keep the count shown, try again */ })
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
