/* The document reader, enhanced: a page counter that follows scrolling, jump to a page
   (also from ?page=N), the Pages/Text switch, text size and contrast remembered on this
   phone, and a notice when the document changed since this phone last opened it.
   A long document comes a window of pages at a time (data-first..data-last of data-pages):
   a jump outside the window opens ?page=N, which the server answers with N's window.
   The page works without this script; every text comes from the page itself. */
(function () {
  "use strict";

  var reader = document.getElementById("reader");
  if (!reader) return;
  var code = reader.dataset.code;
  var version = parseInt(reader.dataset.version, 10);
  var total = parseInt(reader.dataset.pages, 10);
  // A copy saved before windows existed holds every page.
  var first = parseInt(reader.dataset.first, 10) || 1;
  var last = parseInt(reader.dataset.last, 10) || total;
  var body = reader.querySelector(".reader-body");
  var pagesView = document.getElementById("pages-view");
  var textView = document.getElementById("text-view");
  var counter = document.getElementById("page-counter");
  var counterLabel = counter.dataset.label;
  var tools = document.getElementById("text-tools");
  var sizeOutput = document.getElementById("text-size");
  var contrastButton = document.getElementById("contrast");
  var modeButtons = reader.querySelectorAll("[data-mode]");
  var SIZES = [100, 120, 140, 160, 180, 200];

  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(key, String(value)); } catch (e) { /* private mode */ }
  }

  // Updated: this phone saw an older version the last time it opened this code.
  var seen = parseInt(load("reader.version." + code), 10);
  if (seen && seen < version) document.getElementById("updated-notice").hidden = false;
  save("reader.version." + code, version);

  // Tap a page image to read it at twice the width (the browser's own zoom also works).
  var zoomHint = document.getElementById("zoom-hint");
  if (zoomHint) zoomHint.hidden = false;
  pagesView.addEventListener("click", function (event) {
    var image = event.target.closest(".page img");
    if (!image) return;
    var figure = image.closest(".page");
    var zoomed = figure.classList.toggle("is-zoomed");
    // The wider copy of the page, so the letters stay sharp at twice the size.
    image.sizes = zoomed ? "200vw" : "(min-width: 46rem) 46rem, 100vw";
  });

  // Published while this page is open: ask now and then (a 304 while nothing changed).
  var versionUrl = reader.dataset.versionUrl;
  var versionPoll = parseInt(reader.dataset.versionPoll, 10) || 30000;
  var versionTag = null;
  function checkVersion() {
    if (document.hidden || !versionUrl) return;
    var headers = { "Accept": "application/json" };
    if (versionTag) headers["If-None-Match"] = versionTag;
    fetch(versionUrl, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status !== 200) return null;
        versionTag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) {
        if (data && data.version > version) {
          document.getElementById("updated-notice").hidden = true;
          document.getElementById("newer-notice").hidden = false;
        }
      })
      .catch(function () { /* offline: the saved copy is what there is */ });
  }
  window.setInterval(checkVersion, versionPoll);
  document.addEventListener("visibilitychange", checkVersion);

  // Pages or text: the query string wins, then what this phone chose last time.
  function anchors() {
    return (isText() ? textView : pagesView).querySelectorAll("[data-page]");
  }
  function isText() { return !textView.hidden; }
  function setMode(mode, remember) {
    var text = mode === "text";
    textView.hidden = !text;
    pagesView.hidden = text;
    tools.hidden = !text;
    body.classList.toggle("is-text", text);
    modeButtons.forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    });
    if (remember) save("reader.mode", mode);
    // The other windows open in the mode chosen here.
    reader.querySelectorAll("a[data-window]").forEach(function (link) {
      link.href = withMode(link.href);
    });
    updateCounter();
  }
  function withMode(href) {
    var url = new URL(href, window.location.href);
    if (isText()) url.searchParams.set("mode", "text");
    else url.searchParams.delete("mode");
    return url.href;
  }
  modeButtons.forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var page = currentPage();
      setMode(button.dataset.mode, true);
      goTo(page, false);
    });
  });

  // Text size (100–200 %) and contrast, remembered on this phone.
  var step = Math.min(Math.max(parseInt(load("reader.textSize"), 10) || 0, 0), SIZES.length - 1);
  function applySize() {
    textView.style.setProperty("--text-scale", SIZES[step] / 100);
    sizeOutput.textContent = SIZES[step] + "%";
    tools.querySelector('[data-size="-1"]').disabled = step === 0;
    tools.querySelector('[data-size="1"]').disabled = step === SIZES.length - 1;
  }
  tools.querySelectorAll("[data-size]").forEach(function (button) {
    button.addEventListener("click", function () {
      var page = currentPage();
      step = Math.min(Math.max(step + parseInt(button.dataset.size, 10), 0), SIZES.length - 1);
      save("reader.textSize", step);
      applySize();
      goTo(page, false);
    });
  });
  function applyContrast(on) {
    textView.classList.toggle("high-contrast", on);
    contrastButton.setAttribute("aria-pressed", String(on));
  }
  contrastButton.addEventListener("click", function () {
    var on = contrastButton.getAttribute("aria-pressed") !== "true";
    save("reader.contrast", on ? "1" : "0");
    applyContrast(on);
  });

  // The counter: the last page whose top is above the upper third of the screen.
  function currentPage() {
    var list = anchors();
    var line = window.innerHeight / 3;
    var lo = 0, hi = list.length - 1, found = 0;
    while (lo <= hi) {  // pages are in order: binary search, even for 2,000 of them
      var mid = (lo + hi) >> 1;
      if (list[mid].getBoundingClientRect().top <= line) { found = mid; lo = mid + 1; }
      else hi = mid - 1;
    }
    return list.length ? parseInt(list[found].dataset.page, 10) : 1;
  }
  function updateCounter() {
    counter.textContent = counterLabel.replace("{n}", currentPage());
  }
  var ticking = false;
  window.addEventListener("scroll", function () {
    if (ticking) return;
    ticking = true;
    window.requestAnimationFrame(function () { ticking = false; updateCounter(); });
  }, { passive: true });
  window.addEventListener("resize", updateCounter);

  function goTo(page, smooth) {
    var list = anchors();
    if (!list.length || !(page >= first)) return;
    var index = Math.min(page - first, list.length - 1);
    var target = list[index];
    while (index > 0 && parseInt(target.dataset.page, 10) > page) target = list[--index];
    var bar = reader.querySelector(".reader-bar").offsetHeight;
    var top = target.getBoundingClientRect().top + window.pageYOffset - bar - 8;
    window.scrollTo({ top: top, behavior: smooth ? "smooth" : "auto" });
    updateCounter();
  }
  document.getElementById("jump").addEventListener("submit", function (event) {
    var input = document.getElementById("jump-page");
    var page = parseInt(input.value, 10);
    event.preventDefault();
    if (page >= 1 && page <= total) {
      var url = new URL(withMode(window.location.href));
      url.searchParams.set("page", page);
      if (page < first || page > last) {
        window.location.assign(url.href);  // another window: the server has its pages
        return;
      }
      goTo(page, true);
      window.history.replaceState(null, "", url);
      input.blur();
    } else {
      input.focus();
    }
  });

  var params = new URLSearchParams(window.location.search);
  var mode = params.get("mode") || load("reader.mode");
  setMode(mode === "text" ? "text" : "pages", false);
  applySize();
  applyContrast(load("reader.contrast") === "1");
  // The address bar's page first: offline, the worker may answer ?page=35 with the copy of
  // ?page=21 (the same window), whose data-start-page says 21.
  var asked = params.get("page");
  var start = /^\d{1,6}$/.test(asked || "") ? parseInt(asked, 10)
    : parseInt(reader.dataset.startPage, 10);
  // A paragraph's anchor (#p-12: back from writing a comment on it) wins over the page.
  var paragraph = /^#p-\d{1,6}$/.test(window.location.hash)
    ? document.getElementById(window.location.hash.slice(1)) : null;
  if (paragraph) {
    paragraph.scrollIntoView();
    updateCounter();
  } else if (start >= first && start <= last) {
    goTo(start, false);  // the <img> boxes have their sizes: nothing above it will move
  } else {
    updateCounter();
  }
})();
