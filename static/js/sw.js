/* The service worker: the congress keeps working when the hall's Wi-Fi does not.
   Served by the app at /sw.js (scope: the whole site); __ASSETS_VERSION__ is replaced by a
   hash of the cached assets, so a changed CSS or JS file installs a new worker,
   __READER_WINDOW__ by the reader's pages per window (services.reader.READER_WINDOW), and
   __ROUTES__ by the route table generated from Flask's URL map (offline.worker_routes): which paths
   are pages, page images, files …, under /c/<slug>/ too when the instance has several
   congresses. A route is never retyped here.

   - Assets under /static/: cache-first, precached on install.
   - Pages (home, programme, documents, the reader /d/<CODE>, the web app manifest, the
     offline page): network-first with a short timeout, then the saved copy; every good
     answer replaces the saved copy, so a changed document is updated the next time the
     phone is online. A long document's reader shows a window of pages (/d/ABC,
     /d/ABC?page=21, …): offline, /d/ABC?page=35 is answered with the saved window that
     holds page 35, which reader.js scrolls to page 35.
   - Page images with ?v=<hash>: cache-first (a new version has new URLs); if this width
     was never saved, another width of the same page will do. Only images of the current
     file are saved, and when one of a new version is first saved, the document's images of
     other versions are deleted (a replaced file is never shown again).
   - /d/<CODE>/file: network-first, then the saved copy.
   - Public pages never saved (search, the stage screen, the programme PDF): the network,
     or offline the offline page (the congress's own when it was saved).
   - Anything else (organisers, check-in, sign-in, card links, POSTs) is never touched: it
     goes to the network as if there were no service worker.
   Nothing answered with Cache-Control: no-store is ever saved. */
"use strict";

var VERSION = "__ASSETS_VERSION__";
var PREFIX = "congress-";
var ASSETS = PREFIX + "assets-" + VERSION;
// Pages and documents may be delegates-only: offline.js deletes these two on sign-out.
var PAGES = PREFIX + "pages-v1";
var MEDIA = PREFIX + "media-v1";
var NETWORK_TIMEOUT = 4000; // ms: on a crowded hall Wi-Fi, a saved copy now beats a wait
var READER_WINDOW = Number("__READER_WINDOW__");
var ROUTES = __ROUTES__;
var OFFLINE_PAGE = ROUTES.offline;
var CONGRESS = new RegExp(ROUTES.congress);  // a congress's /c/<slug> part of a path

// The assets every page needs and the offline page, from the table too (offline.PRECACHED).
var PRECACHE = ROUTES.precache.concat([OFFLINE_PAGE]);

function route(kind) {
  var patterns = ROUTES[kind].map(function (source) { return new RegExp(source); });
  return {test: function (path) {
    return patterns.some(function (pattern) { return pattern.test(path); });
  }};
}
var ASSET_PATH = route("asset");
var PAGE_PATH = route("page");
var READER_PATH = route("reader");
var IMAGE_PATH = route("image");
var FILE_PATH = route("file");
var ONLINE_PATH = route("online");

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(ASSETS)
      .then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return self.skipWaiting(); })
  );
});

// Old asset caches (an earlier VERSION) go; pages and media stay across updates.
self.addEventListener("activate", function (event) {
  var keep = [ASSETS, PAGES, MEDIA];
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(PREFIX) === 0 && keep.indexOf(name) === -1;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  var path = url.pathname;
  if (ASSET_PATH.test(path)) {
    event.respondWith(cacheFirst(request, ASSETS));
  } else if (IMAGE_PATH.test(path) && url.searchParams.get("v")) {
    event.respondWith(pageImage(event, url));
  } else if (FILE_PATH.test(path)) {
    event.respondWith(networkFirst(request, MEDIA, 0));
  } else if (PAGE_PATH.test(path)) {
    event.respondWith(networkFirst(request, PAGES, NETWORK_TIMEOUT));
  } else if (request.mode === "navigate" && ONLINE_PATH.test(path)) {
    // A page that is never saved (search, …): the network, or the offline page.
    event.respondWith(fetch(request).catch(function () { return offlinePage(url); }));
  }
});

function storable(response) {
  return response && response.status === 200 && response.type === "basic" &&
    !/no-store/i.test(response.headers.get("Cache-Control") || "");
}

function save(cacheName, request, response) {
  if (!storable(response)) return Promise.resolve();
  var copy = withoutVary(response.clone());
  return caches.open(cacheName).then(function (cache) { return cache.put(request, copy); });
}

// Pages vary by language (Vary: Accept-Language, Cookie) for shared caches; this phone's
// cache holds one reader's pages, and a Vary kept there would stop them matching later.
function withoutVary(response) {
  if (!response.headers.has("Vary")) return response;
  var headers = new Headers(response.headers);
  headers.delete("Vary");
  return new Response(response.body, {status: response.status,
    statusText: response.statusText, headers: headers});
}

function cacheFirst(request, cacheName) {
  return caches.match(request).then(function (saved) {
    return saved || fetch(request).then(function (response) {
      return save(cacheName, request, response).then(function () { return response; });
    });
  });
}

// Network first; the saved copy if the network fails, or is slower than `timeout` (0: no
// limit). A late answer still replaces the saved copy for next time.
function networkFirst(request, cacheName, timeout) {
  var network = fetch(request).then(function (response) {
    return save(cacheName, request, response).then(function () { return response; });
  });
  var fallback = function () {
    return findSaved(request).then(function (saved) {
      if (saved) return saved;
      return network.catch(function () {
        return request.mode === "navigate" ? offlinePage(new URL(request.url)) :
          Response.error();
      });
    });
  };
  if (!timeout) return network.catch(fallback);
  return new Promise(function (resolve) {
    var settled = false;
    var timer = setTimeout(function () {
      fallback().then(function (saved) {
        if (!settled) { settled = true; resolve(saved); }
      });
    }, timeout);
    network.then(function (response) {
      clearTimeout(timer);
      if (!settled) { settled = true; resolve(response); }
    }, function () {
      clearTimeout(timer);
      fallback().then(function (saved) {
        if (!settled) { settled = true; resolve(saved); }
      });
    });
  });
}

// The copy saved under this URL, else under the URL that "Save all" and the reader's links
// use: a reader page's window (/d/ABC?page=35&mode=text → /d/ABC?page=21, /d/ABC?page=3 →
// /d/ABC), anything else without its query string.
function findSaved(request) {
  return caches.match(request).then(function (saved) {
    return saved || caches.match(savedAs(new URL(request.url)));
  });
}

function savedAs(url) {
  var base = url.origin + url.pathname;
  var page = url.searchParams.get("page") || "";
  if (!READER_PATH.test(url.pathname) || !/^\d{1,6}$/.test(page)) return base;
  var first = Math.floor((Number(page) - 1) / READER_WINDOW) * READER_WINDOW + 1;
  return first > 1 ? base + "?page=" + first : base;
}

// Cache first. The width asked for; offline, any saved width of the same page and version.
function pageImage(event, url) {
  var request = event.request;
  return caches.match(request).then(function (saved) {
    return saved || fetch(request).then(function (response) {
      // The server says immutable only when ?v= names the current file; an old tab's URL
      // gets today's picture, not worth keeping under a name no page will use again.
      if (!/immutable/.test(response.headers.get("Cache-Control") || "")) return response;
      return save(MEDIA, request, response).then(function () {
        event.waitUntil(forgetOtherVersions(url).catch(function () { /* next time */ }));
        return response;
      });
    });
  }).catch(function () {
    var others = ["480", "960"].filter(function (w) { return w !== url.searchParams.get("w"); });
    return others.reduce(function (found, width) {
      return found.then(function (saved) {
        if (saved) return saved;
        var other = new URL(url);
        other.searchParams.set("w", width);
        return caches.match(other.href);
      });
    }, Promise.resolve(undefined)).then(function (saved) {
      return saved || Response.error();
    });
  });
}

// Which version's images each document keeps, as known to this worker since it started:
// the cache is scanned only when an image of another version is saved.
var keptVersion = {};

// Delete the saved images of this document whose ?v= is not this one. The version last
// pruned for is remembered in MEDIA under /d/<CODE>/pages/version (no route answers it),
// so a worker that restarts does not scan again; sign-out deletes it with the images.
function forgetOtherVersions(url) {
  var folder = url.pathname.replace(/[^/]+$/, "");  // /d/ABC/pages/
  var v = url.searchParams.get("v");
  if (keptVersion[folder] === v) return Promise.resolve();
  keptVersion[folder] = v;
  var marker = url.origin + folder + "version";
  return caches.open(MEDIA).then(function (cache) {
    return cache.match(marker).then(function (saved) {
      return saved ? saved.text() : null;
    }).then(function (pruned) {
      if (pruned === v) return;
      return cache.keys().then(function (requests) {
        return Promise.all(requests.filter(function (saved) {
          var other = new URL(saved.url);
          return other.pathname.indexOf(folder) === 0 && IMAGE_PATH.test(other.pathname) &&
            other.searchParams.get("v") !== v;
        }).map(function (saved) { return cache.delete(saved); }));
      }).then(function () { return cache.put(marker, new Response(v)); });
    });
  });
}

// The offline page of the congress this path belongs to (its links lead to that congress's
// saved pages) if "Save all" saved it, else the one precached for every phone.
function offlinePage(url) {
  var congress = CONGRESS.exec(url.pathname);
  var own = congress ? caches.match(url.origin + congress[1] + OFFLINE_PAGE) :
    Promise.resolve(undefined);
  return own.then(function (page) { return page || caches.match(OFFLINE_PAGE); })
    .then(function (page) { return page || Response.error(); });
}
