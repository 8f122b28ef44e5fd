/* The door phone: read delegate cards with the camera (vendored qr-scanner) or a typed
   number, and post them to the server. Never opens the card's link: that would sign this
   phone in as the delegate. All texts come from the page (#checkin-strings). */
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) return;
  var strings = JSON.parse(document.getElementById("checkin-strings").textContent);
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var resultBox = document.getElementById("scan-result");
  var presentCount = document.getElementById("present-count");
  var expectedCount = document.getElementById("expected-count");
  var viewfinder = document.getElementById("viewfinder");
  var video = document.getElementById("camera");
  var cameraStatus = document.getElementById("camera-status");
  var cameraToggle = document.getElementById("camera-toggle");
  var numberForm = document.getElementById("number-form");
  var numberInput = document.getElementById("number");

  // A card QR is ".../K/<token>" in any case; the token is unpadded base32.
  var cardUrl = new RegExp("/k/([a-z2-7]{" + root.dataset.tokenLength + "})/?$", "i");
  // The same code is not posted again while it stays in view, nor until it has been out
  // of view this long: holding a card up keeps its green result instead of turning amber.
  var REPEAT_AFTER_MS = 3000;
  var lastCode = null;
  var lastSeen = 0;
  var busy = false;
  var scanner = null;
  var cameraOn = false;

  function showResultHtml(html) {
    resultBox.innerHTML = html;
    var card = resultBox.firstElementChild;
    if (card) card.classList.add("fresh");
  }

  function showProblem(text) {
    var card = document.createElement("div");
    card.className = "result result-bad fresh";
    var head = document.createElement("p");
    head.className = "result-head";
    var mark = document.createElement("span");
    mark.className = "result-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = "\u2717";
    head.appendChild(mark);
    head.appendChild(document.createTextNode(" " + text));
    card.appendChild(head);
    resultBox.replaceChildren(card);
    buzz([300]);
  }

  function showPending() {
    var card = document.createElement("p");
    card.className = "result result-pending";
    card.textContent = strings.checking;
    resultBox.replaceChildren(card);
  }

  function buzz(pattern) {
    if (navigator.vibrate) navigator.vibrate(pattern);
  }

  function isJson(response) {
    return (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
  }

  function post(url, body) {
    busy = true;
    showPending();
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.redirected) return showProblem(strings.signed_out);
      if (!isJson(response)) {
        if (response.status === 403) return showProblem(strings.forbidden);
        if (response.status === 400) return showProblem(strings.expired);
        return showProblem(strings.error);
      }
      return response.json().then(function (data) {
        if (!data.html) return showProblem(data.message || strings.error);
        showResultHtml(data.html);
        presentCount.textContent = data.present;
        expectedCount.textContent = data.base;
        if (data.status === "created") buzz([80]);
        else if (data.already) buzz([80, 80, 80]);
        else if (data.status === "invalid") buzz([300]);
        return data;
      });
    }).catch(function () {
      showProblem(strings.offline);
    }).then(function (data) {
      busy = false;
      return data;
    });
  }

  function onDecode(result) {
    var text = (result && result.data ? result.data : "").trim();
    var now = Date.now();
    if (text === lastCode && now - lastSeen < REPEAT_AFTER_MS) {
      lastSeen = now;
      return;
    }
    if (busy) return;
    lastCode = text;
    lastSeen = now;
    var match = cardUrl.exec(text);
    if (!match) {
      showProblem(strings.not_a_card);
      return;
    }
    post(root.dataset.scanUrl, { token: match[1] });
  }

  function afterNumber(data) {
    if (data && data.status === "created") {
      numberInput.value = "";
    } else if (data && data.status === "confirm") {
      var confirm = resultBox.querySelector("[data-confirm]");
      if (confirm) confirm.focus();
    } else {
      numberInput.select();
    }
  }

  // Number form: who the number is first ("Check in this delegate?"), then the check-in.
  numberForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    var value = numberInput.value.trim();
    post(root.dataset.numberUrl, { number: value }).then(afterNumber);
  });

  // The forms inside a result (Confirm, Undo) and Cancel work in place, like the scan.
  resultBox.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    if (busy) return;
    if (form.hasAttribute("data-confirm-number")) {
      post(root.dataset.numberUrl, {
        number: Number(form.getAttribute("data-confirm-number")), confirm: true
      }).then(afterNumber);
    } else if (form.hasAttribute("data-undo")) {
      post(form.action, {});
    }
  });
  resultBox.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-cancel]");
    if (!cancel) return;
    event.preventDefault();
    resultBox.replaceChildren();
    numberInput.select();
    numberInput.focus();
  });

  // Other doors check people in too: refresh the count now and then (304 when unchanged).
  var countTag = "";
  function refreshCount() {
    if (document.hidden || busy) return;
    fetch(root.dataset.countUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json", "If-None-Match": countTag }
    }).then(function (response) {
      if (response.status !== 200 || !isJson(response)) return;
      countTag = response.headers.get("ETag") || "";
      return response.json().then(function (data) {
        presentCount.textContent = data.present;
        expectedCount.textContent = data.base;
      });
    }).catch(function () { /* the next scan or refresh will tell */ });
  }
  window.setInterval(refreshCount, 10000);

  // Camera ---------------------------------------------------------------------------

  function setCameraMessage(text, problem) {
    cameraStatus.textContent = text;
    cameraStatus.classList.toggle("camera-problem", !!problem);
  }

  function cameraFailed() {
    cameraOn = false;
    viewfinder.classList.add("no-camera");
    cameraToggle.hidden = true;
    var fallback = function (state) {
      if (state === "denied") return setCameraMessage(strings.denied, true);
      QrScanner.hasCamera().then(function (has) {
        setCameraMessage(has ? strings.failed : strings.missing, true);
      }, function () {
        setCameraMessage(strings.failed, true);
      });
    };
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "camera" }).then(function (status) {
        fallback(status.state);
      }, function () { fallback(null); });
    } else {
      fallback(null);
    }
  }

  function startCamera() {
    setCameraMessage(strings.starting, false);
    viewfinder.classList.remove("no-camera", "camera-off");
    return scanner.start().then(function () {
      cameraOn = true;
      cameraToggle.hidden = false;
      cameraToggle.textContent = strings.stop;
      setCameraMessage(strings.ready, false);
    }, cameraFailed);
  }

  function stopCamera() {
    scanner.stop();
    cameraOn = false;
    viewfinder.classList.add("camera-off");
    cameraToggle.textContent = strings.start;
    setCameraMessage(strings.stopped, false);
  }

  var noCamera = !window.isSecureContext || !navigator.mediaDevices ||
    !navigator.mediaDevices.getUserMedia;
  // Over plain http the page already says why (#camera-insecure): no empty viewfinder then.
  if (noCamera && document.getElementById("camera-insecure")) return;
  viewfinder.hidden = false;
  if (noCamera) {
    viewfinder.classList.add("no-camera");
    setCameraMessage(strings.insecure, true);
    return;
  }
  if (typeof QrScanner === "undefined") {
    viewfinder.classList.add("no-camera");
    setCameraMessage(strings.failed, true);
    return;
  }
  scanner = new QrScanner(video, onDecode, {
    preferredCamera: "environment",
    maxScansPerSecond: 8,
    highlightScanRegion: true,
    returnDetailedScanResult: true,
    onDecodeError: function () { /* no code in this frame: keep looking */ }
  });
  cameraToggle.addEventListener("click", function () {
    if (cameraOn) stopCamera(); else startCamera();
  });
  startCamera();
}());
