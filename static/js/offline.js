/* Reading without the network, from the page's side: registers the service worker
   (/sw.js), runs "Save all documents for offline" on /documents, and forgets saved pages
   on sign-out (they may be delegates-only); over plain http:// (no service worker there) it
   shows why nothing can be saved. Organisers' and check-in phones save nothing:
   their pages show unpublished documents and personal data.
   Every text comes from the page (data-* attributes); the page works without this script. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !window.caches) {
    // Plain http:// on the hall's network: say why nothing can be saved, not hide the block.
    var insecure = document.getElementById("offline-save");
    if (insecure && !window.isSecureContext) {
      insecure.classList.add("is-insecure");
      insecure.hidden = false;
    }
    return;
  }
  var staff = script && script.dataset.staff === "1";
  // The caches sw.js fills with pages and documents (its assets cache holds nothing personal).
  var SAVED = /^congress-(pages|media)-/;

  function forgetSavedPages() {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return SAVED.test(name); })
        .map(function (name) { return caches.delete(name); }));
    });
  }

  if (staff) {
    navigator.serviceWorker.getRegistrations().then(function (registrations) {
      registrations.forEach(function (registration) { registration.unregister(); });
    });
    forgetSavedPages();
    return;
  }

  navigator.serviceWorker.register(script.dataset.worker, { scope: "/" })
    .catch(function () { /* no worker: the site still works online */ });

  // Sign-out: forget the saved pages first, then let the form go.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-signs-out") &&
        !/\/(delegate\/sign-out|logout)$/.test(form.getAttribute("action") || "")) return;
    event.preventDefault();
    var go = function () { form.submit(); };
    Promise.race([forgetSavedPages(), new Promise(function (r) { setTimeout(r, 2000); })])
      .then(go, go);
  });

  var box = document.getElementById("offline-save");
  if (!box) return;
  var button = document.getElementById("offline-save-button");
  var progress = document.getElementById("offline-save-progress");
  var status = document.getElementById("offline-save-status");
  var lang = document.documentElement.lang || undefined;
  var manifest = null;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }
  function megabytes(value) {
    return Number(value).toLocaleString(lang, { minimumFractionDigits: 1,
                                                maximumFractionDigits: 1 });
  }

  function loadManifest() {
    return fetch(box.dataset.manifest, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        manifest = data;
        var label = data.count === 1 ? box.dataset.labelOne : box.dataset.labelMany;
        button.textContent = fill(label, { count: data.count, size: megabytes(data.total_mb) });
        button.disabled = data.count === 0;
        return data;
      });
  }

  // Fetches made by a page the worker controls go through it, and it saves them.
  function controlled() {
    if (navigator.serviceWorker.controller) return Promise.resolve();
    return navigator.serviceWorker.ready.then(function () {
      if (navigator.serviceWorker.controller) return;
      return new Promise(function (resolve, reject) {
        navigator.serviceWorker.addEventListener("controllerchange", resolve);
        setTimeout(function () { reject(new Error("no service worker")); }, 5000);
      });
    });
  }

  function fetchAll(urls) {
    // Four at a time: an old phone on a busy network should not open dozens of requests.
    var queue = urls.slice();
    function next() {
      var url = queue.shift();
      if (!url) return Promise.resolve();
      return fetch(url, { credentials: "same-origin", cache: "no-cache" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.arrayBuffer();  // read to the end: the worker's copy is complete
      }).then(next);
    }
    return Promise.all([next(), next(), next(), next()]);
  }

  function save() {
    button.disabled = true;
    status.textContent = "";
    var failed = 0;
    return Promise.all([controlled(), manifest ? manifest : loadManifest()])
      .then(function (results) {
        var data = manifest = results[1];
        var done = 0;
        var count = data.count;
        progress.max = Math.max(count, 1);
        progress.value = 0;
        progress.hidden = false;
        status.textContent = fill(box.dataset.progress, { done: 0, count: count });
        var step = fetchAll(data.pages).catch(function () { /* the documents matter more */ });
        data.documents.forEach(function (doc) {
          step = step.then(function () {
            return fetchAll(doc.urls.map(function (u) { return u.url; }))
              .catch(function () { failed += 1; });
          }).then(function () {
            done += 1;
            progress.value = done;
            status.textContent = fill(box.dataset.progress, { done: done, count: count });
          });
        });
        return step;
      })
      .then(function () {
        status.textContent = failed
          ? fill(box.dataset.failed, { failed: failed })
          : box.dataset.done;
      }, function () {
        status.textContent = box.dataset.offline;
      })
      .then(function () {
        button.disabled = false;
        box.classList.toggle("is-saved", !failed);
      });
  }

  box.hidden = false;
  button.addEventListener("click", save);
  loadManifest().catch(function () { /* offline now: the button still says what it does */ });
})();
