/* The phone's outbox for comments (góp ý): a comment written while the hall's Wi-Fi is down
   is kept on the phone and sent when the connection returns, never lost and never counted
   twice.

   - Every form[data-outbox] is copied into localStorage as it is sent, keyed by its
     client_id (the server keeps one comment per id, so sending a copy again is harmless).
     Offline (navigator.onLine false) the form is not sent at all: the copy waits.
   - On every page load while online, and when the phone comes back online, each waiting
     copy is sent again: first a GET of its form for a fresh CSRF token (a sign-in on the
     way is waited for), then the POST. A 204 means the server has it (new, or kept
     once); the form answered again, or a refusal (window closed, not a
     delegate…), means the server will never take that copy: it is dropped and the
     delegate is told.
   - #outbox (base.html) shows what waits, what is being sent and what was sent; every
     text comes from its data-* attributes. Without this script the forms work as before. */
(function () {
  "use strict";

  var KEY = "congress-outbox-v1";
  var box = document.getElementById("outbox");
  var sending = false;
  // The server answers these copies with 204 and no message, and leaves the messages meant
  // for the page the delegate is looking at where they are (web/comments.py).
  var QUIET = {"X-Congress-Outbox": "1"};

  function load() {
    try {
      var list = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (error) {
      return [];
    }
  }

  function store(list) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(list));
    } catch (error) {
      // A full or disabled storage: the form is still sent the usual way.
    }
  }

  function say(template, count, kind) {
    if (!box || !template) return;
    box.textContent = template.replace("{n}", String(count));
    box.className = "flash outbox outbox-" + kind +
      (kind === "sent" ? " flash-success" : kind === "refused" ? " flash-error" : "");
    box.hidden = false;
  }

  // Only what was kept offline is the delegate's news; a spare copy is sent quietly.
  function queued(list) {
    return list.filter(function (entry) { return entry.offline; });
  }

  function showWaiting() {
    var waiting = queued(load()).length;
    if (waiting) say(box && box.dataset.waiting, waiting, "waiting");
    else if (box && box.classList.contains("outbox-waiting")) box.hidden = true;
  }

  // What the server will never take is not thrown away unseen: its words stay on screen,
  // to copy into a new comment or hand to the secretariat.
  function showRefused(entries) {
    say(box && box.dataset.refused, entries.length, "refused");
    entries.forEach(function (entry) {
      entry.fields.forEach(function (pair) {
        if ((pair[0] === "text" || pair[0] === "proposed_wording") && pair[1].trim()) {
          var kept = document.createElement("blockquote");
          kept.textContent = pair[1];
          box.appendChild(kept);
        }
      });
    });
  }

  function keep(form, offline) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
    });
    var id = form.elements.client_id && form.elements.client_id.value;
    if (!id) return false;
    var list = load().filter(function (entry) { return entry.id !== id; });
    list.push({id: id, action: form.action, fields: fields, at: Date.now(), offline: offline});
    store(list);
    return true;
  }

  function drop(id) {
    store(load().filter(function (entry) { return entry.id !== id; }));
  }

  function samePath(url, action) {
    return new URL(url, location.href).pathname === new URL(action, location.href).pathname;
  }

  // One waiting copy: "sent" (the server has it), "refused" (it never will), or "later".
  function send(entry) {
    return fetch(entry.action, {credentials: "same-origin", cache: "no-store", headers: QUIET})
      .then(function (page) {
        if (!page.ok || !samePath(page.url, entry.action)) {
          // Signed out (sent to the sign-in) or the form is gone for good (closed: 423).
          return page.status >= 400 && page.status !== 429 ? "refused" : "later";
        }
        return page.text().then(function (html) {
          var parsed = new DOMParser().parseFromString(html, "text/html");
          var token = parsed.querySelector("input[name=csrf_token]");
          var body = new FormData();
          entry.fields.forEach(function (pair) {
            body.append(pair[0], pair[0] === "csrf_token" && token ? token.value : pair[1]);
          });
          return fetch(entry.action,
            {method: "POST", body: body, credentials: "same-origin", headers: QUIET});
        }).then(function (answer) {
          if (answer.status === 204) return "sent";
          if (answer.status === 429 || answer.status >= 500) return "later";
          return "refused";
        });
      })
      .catch(function () { return "later"; });
  }

  // The copies of forms on this very page wait: the delegate is looking at that form (sent
  // back with a message to fix, say) and sends it again, which replaces its copy.
  function onThisPage(entry) {
    return Array.prototype.some.call(document.querySelectorAll("form[data-outbox]"),
      function (form) {
        return form.elements.client_id && form.elements.client_id.value === entry.id;
      });
  }

  function flush() {
    if (sending || !navigator.onLine) return;
    var list = load().filter(function (entry) { return entry.offline || !onThisPage(entry); });
    if (!list.length) return;
    sending = true;
    if (queued(list).length) say(box && box.dataset.sending, queued(list).length, "sending");
    var sent = 0;
    var refused = [];
    list.reduce(function (previous, entry) {
      return previous.then(function () {
        return send(entry).then(function (outcome) {
          if (outcome === "sent" && entry.offline) sent += 1;
          if (outcome === "refused" && entry.offline) refused.push(entry);
          if (outcome !== "later") drop(entry.id);
        });
      });
    }, Promise.resolve()).then(function () {
      sending = false;
      if (refused.length) showRefused(refused);
      else if (queued(load()).length) showWaiting();
      else if (sent) say(box && box.dataset.sent, sent, "sent");
    });
  }

  // Back to a form already sent, then Send again: the browser fetches the form anew, with a
  // new client id, so the page takes back the id it was sent with (same words: kept once;
  // other words: the server's 409). A form opened from a link gets a fresh id as before.
  var navigation = performance.getEntriesByType &&
    performance.getEntriesByType("navigation")[0];
  var cameBack = navigation && navigation.type === "back_forward";

  document.querySelectorAll("form[data-outbox]").forEach(function (form) {
    var lastKey = "congress-outbox-last:" + new URL(form.action, location.href).pathname;
    var idField = form.elements.client_id;
    try {
      var last = window.sessionStorage.getItem(lastKey);
      if (cameBack && last && idField) idField.value = last;
    } catch (error) {
      // No session storage: the id the server gave stays.
    }
    form.addEventListener("submit", function (event) {
      try {
        if (idField) window.sessionStorage.setItem(lastKey, idField.value);
      } catch (error) {
        // As above.
      }
      var kept = keep(form, !navigator.onLine);
      if (navigator.onLine || !kept) return;  // online: sent as usual, the copy as a spare
      event.preventDefault();
      showWaiting();
      if (box) box.scrollIntoView({block: "center"});
    });
  });

  window.addEventListener("online", flush);
  showWaiting();
  flush();
}());
