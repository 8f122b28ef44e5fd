// Print centre: when an option changes (the language of the printout included), show the
// first page of the PDF those options make, and (stamped documents) the pages where the
// stamp could not avoid the text.
// Without JavaScript the thumbnails show the default options and the forms work the same.
(function () {
  "use strict";
  function showPreview(img, params) {
    img.src = img.dataset.preview + "?" + params.toString();
    img.classList.add("loading");
  }
  // The stamp's placement report; its answer comes once the stamped PDF is rendered, so the
  // preview asked for after it reads the cached file instead of rendering it a second time.
  // Only the answer for the options chosen last is shown, whatever order answers come in.
  function checkOverText(note, params) {
    var asked = params.toString();
    note.dataset.asked = asked;
    return fetch(note.dataset.overText + "?" + asked, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {warning: null}; })
      .then(function (answer) {
        if (note.dataset.asked !== asked) return;
        note.textContent = answer.warning || "";
        note.hidden = !answer.warning;
      })
      .catch(function () { if (note.dataset.asked === asked) note.hidden = true; });
  }
  function refresh(form) {
    var card = form.closest(".print-card");
    var img = card && card.querySelector("img[data-preview]");
    if (!img) return;
    var params = new URLSearchParams(new FormData(form));
    // Only options change the look; these filters do not.
    params.delete("group");
    params.delete("without_checkin");
    var note = card.querySelector("[data-over-text]");
    if (note) {
      img.classList.add("loading");
      checkOverText(note, params).then(function () { showPreview(img, params); });
    } else {
      showPreview(img, params);
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.print-options").forEach(function (form) {
      form.addEventListener("change", function () { refresh(form); });
      var note = form.querySelector("[data-over-text]");
      if (note) checkOverText(note, new URLSearchParams(new FormData(form)));
    });
    document.querySelectorAll("img.print-preview").forEach(function (img) {
      img.addEventListener("load", function () { img.classList.remove("loading"); });
      img.addEventListener("error", function () { img.classList.remove("loading"); img.classList.add("failed"); });
    });
  });
})();
