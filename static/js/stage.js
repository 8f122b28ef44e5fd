/* What is on stage, kept fresh without a reload: poll /stage.json with If-None-Match (a
   304 means nothing moved) and redraw. Polling rather than Server-Sent Events keeps no
   connection open per phone. Texts come from the page (#stage-live); data from the server
   only ever goes into the page as textContent. */
(function () {
  "use strict";

  var config = document.getElementById("stage-live");
  if (!config) return;
  config = JSON.parse(config.textContent);
  var labels = config.labels;
  var etag = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /* Home: the "On stage now" box, drawn as the template draws it. */
  function drawHome(data) {
    var box = document.querySelector("[data-stage-box]");
    if (!box) return;
    var heading = box.querySelector("h2");
    var nodes = [heading];
    if (data.current) {
      nodes.push(el("p", "now-title", data.current.title));
      if (data.current.presenter) nodes.push(el("p", "muted", data.current.presenter));
      if (data.current.notes) nodes.push(el("p", "notes", data.current.notes));
      if (data.current.documents.length) {
        var list = el("ul", "doc-links");
        data.current.documents.forEach(function (d) {
          var link = el("a");
          link.href = d.url;
          var icon = el("span", "doc-icon");
          icon.setAttribute("aria-hidden", "true");
          link.append(icon, d.title);
          var item = el("li");
          item.appendChild(link);
          list.appendChild(item);
        });
        nodes.push(list);
      }
      var more = el("p", "in-programme");
      var toProgramme = el("a", null, labels.in_programme);
      toProgramme.href = config.programme_now;
      more.appendChild(toProgramme);
      nodes.push(more);
    } else {
      nodes.push(el("p", "now-title", labels.nothing));
    }
    if (data.next) {
      var next = el("p", "next", labels.next + ": ");
      if (data.next.starts_at) {
        next.appendChild(el("time", null, data.next.starts_at));
        if (data.next.day) next.appendChild(document.createTextNode(", " + data.next.day));
        next.appendChild(document.createTextNode(" — "));
      }
      next.appendChild(document.createTextNode(data.next.title));
      nodes.push(next);
    }
    box.replaceChildren.apply(box, nodes);
  }

  /* Programme: move the highlight, the "Now" badge (the #now anchor) and the jump link to
     the item on stage. */
  function drawProgramme(data) {
    var jump = document.querySelector("[data-jump-now]");
    if (jump) jump.hidden = !data.current;
    var currentId = data.current ? "item-" + data.current.id : null;
    document.querySelectorAll("li.item").forEach(function (item) {
      var isNow = item.id === currentId;
      var badge = item.querySelector(".badge");
      item.classList.toggle("is-now", isNow);
      if (isNow && !badge) {
        var body = item.querySelector("div") || item;
        var newBadge = el("span", "badge", labels.now);
        newBadge.id = "now";
        body.insertBefore(newBadge, body.firstChild);
      } else if (!isNow && badge) {
        badge.remove();
      }
    });
  }

  /* Projector: reload when the item, the next one or its public documents change, so the
     QR codes always come from the server's own page. */
  function drawScreen(data) {
    var shown = document.body.dataset;
    var codes = data.current ? data.current.documents.map(function (d) { return d.code; }) : [];
    var now = {
      current: data.current ? String(data.current.id) : "",
      next: data.next ? String(data.next.id) : "",
      documents: codes.join(" ")
    };
    var comments = data.comments || [];
    var taking = comments.map(function (c) { return c.code; }).join(" ");
    /* A vote opened, closed or annulled: reload; while open only its live count moves. */
    var vote = data.vote ? data.vote.id + ":" + data.vote.state : "";
    if (now.current !== shown.current || now.next !== shown.next ||
        now.documents !== shown.documents || taking !== (shown.comments || "") ||
        vote !== (shown.vote || "")) {
      window.location.reload();
      return;
    }
    var voteCount = document.querySelector("[data-vote-count]");
    if (voteCount && data.vote && data.vote.label) voteCount.textContent = data.vote.label;
    /* The same documents take comments: only their counts move, redrawn in place. */
    comments.forEach(function (c) {
      var count = document.querySelector('[data-comment-count="' + c.code + '"]');
      if (count) count.textContent = c.label;
    });
  }

  var draw = { home: drawHome, programme: drawProgramme, screen: drawScreen }[config.mode];
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
    var headers = { "Accept": "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(config.url, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304 || !response.ok) return null;
        etag = response.headers.get("ETag");
        return response.json().then(draw);
      })
      .catch(function () { /* offline for a moment: keep what is shown, try again */ })
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
