// Print centre: when an option changes (the language of the printout included), show the
// first page of the PDF those options make.
// Without JavaScript the thumbnails show the default options and the forms work the same.
(function () {
  "use strict";
  function refresh(form) {
    var card = form.closest(".print-card");
    var img = card && card.querySelector("img[data-preview]");
    if (!img) return;
    var params = new URLSearchParams(new FormData(form));
    // Only options change the look; these filters do not.
    params.delete("group");
    params.delete("without_checkin");
    img.src = img.dataset.preview + "?" + params.toString();
    img.classList.add("loading");
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.print-options").forEach(function (form) {
      form.addEventListener("change", function () { refresh(form); });
    });
    document.querySelectorAll("img.print-preview").forEach(function (img) {
      img.addEventListener("load", function () { img.classList.remove("loading"); });
      img.addEventListener("error", function () { img.classList.remove("loading"); img.classList.add("failed"); });
    });
  });
})();
