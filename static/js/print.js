// Print centre: when an option changes (the language of the printout included), show the
// first page of the PDF those options make, and (stamped documents) the pages where the
// stamp could not avoid the text.
// Without JavaScript the thumbnails show the default options and the forms work the same.
(function () {
  "use strict";

  // A document choice (the table tent's): the message for what the server would refuse,
  // or "" when the choice can be printed. The server checks the same, with the same words.
  function choiceProblem(form) {
    var choice = form.querySelector("fieldset[data-choice-limits]");
    if (!choice) return "";
    var size = (form.querySelector("input[name=size]:checked") || {}).value || "a4";
    var edition = (form.querySelector("input[name=edition]:checked") || {}).value || "public";
    var ticked = choice.querySelectorAll("input[name=codes]:checked");
    var limit = JSON.parse(choice.dataset.choiceLimits)[size];
    var limitMessage = JSON.parse(choice.dataset.choiceMessages)[size];
    var shown = choice.querySelector("[data-choice-limit]");
    if (shown) shown.textContent = limitMessage;
    if (ticked.length === 0) return choice.dataset.choiceNone + " " + limitMessage;
    if (ticked.length > limit) return limitMessage + " " + choice.dataset.choiceUntick;
    if (edition === "public" && choice.querySelector("input[name=codes][data-delegates-only]:checked")) {
      return choice.dataset.choiceDelegates;
    }
    return "";
  }

  function showProblem(form) {
    var box = form.querySelector("[data-choice-error]");
    var problem = choiceProblem(form);
    if (box) {
      box.textContent = problem;
      box.hidden = !problem;
    }
    return problem;
  }

  // A box ticked without a place goes last; an unticked box gives its place up.
  function placeTicked(box) {
    var place = document.getElementById(box.id.replace("tent-doc-", "tent-place-"));
    if (!place) return;
    if (!box.checked) {
      place.value = "";
      return;
    }
    if (place.value) return;
    var last = 0;
    box.closest("ol").querySelectorAll("input[name=codes]:checked").forEach(function (other) {
      var n = parseInt(document.getElementById(other.id.replace("tent-doc-", "tent-place-")).value, 10);
      if (n > last) last = n;
    });
    place.value = String(last + 1);
  }

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
    if (showProblem(form)) return;  // the PDF would be refused: keep the last good preview
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
      form.addEventListener("change", function (event) {
        if (event.target.name === "codes") placeTicked(event.target);
        refresh(form);
      });
      form.addEventListener("submit", function (event) {
        if (!showProblem(form)) return;
        event.preventDefault();
        form.querySelector("[data-choice-error]").scrollIntoView({ block: "center" });
      });
      var note = form.querySelector("[data-over-text]");
      if (note) checkOverText(note, new URLSearchParams(new FormData(form)));
    });
    document.querySelectorAll("img.print-preview").forEach(function (img) {
      img.addEventListener("load", function () { img.classList.remove("loading"); });
      img.addEventListener("error", function () { img.classList.remove("loading"); img.classList.add("failed"); });
    });
  });
})();
