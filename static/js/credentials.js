/* The credentials committee's figures on the projector, kept fresh without a reload: poll
   figures.json with If-None-Match (a 304 means no count moved) and put the new figures in
   place. The fragment is the server's own template (escaped there), as on the door phone's
   result card; polling as stage.js does keeps no connection open. */
(function () {
  "use strict";

  var config = document.getElementById("cred-live");
  var box = document.getElementById("cred-figures");
  if (!config || !box) return;
  config = JSON.parse(config.textContent);
  var etag = '"' + config.version + '"';
  var timer = null;
  var polling = false;

  function schedule() {
    window.clearTimeout(timer);
    // A hidden tab stops polling; showing it again polls at once.
    timer = document.hidden ? null : window.setTimeout(poll, config.interval || 5000);
  }

  function poll() {
    if (polling) return;
    polling = true;
    fetch(config.url, { credentials: "same-origin", cache: "no-store",
                        headers: { "Accept": "application/json", "If-None-Match": etag } })
      .then(function (response) {
        if (response.status === 304 || !response.ok) return null;
        etag = response.headers.get("ETag") || etag;
        return response.json().then(function (data) {
          if (typeof data.html === "string") box.innerHTML = data.html;
        });
      })
      .catch(function () { /* the network dropped for a moment: keep the figures shown */ })
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
