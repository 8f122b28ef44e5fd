/* Text fields with a length limit (data-limit): the count as one types, beside the limit the
   page states. Nothing is cut or blocked: the server refuses a longer text and the form comes
   back filled, so the organiser shortens it in their own words. */
(function () {
  "use strict";

  function length(text) {
    // As the server counts: NFC, trimmed, in characters (not UTF-16 units).
    return Array.from(text.normalize("NFC").trim()).length;
  }

  document.querySelectorAll("[data-limit]").forEach(function (input) {
    var limit = parseInt(input.dataset.limit, 10);
    var hint = document.getElementById(input.id + "-limit");
    var count = hint && hint.querySelector(".char-count");
    if (!limit || !count) return;

    function update() {
      var n = length(input.value);
      count.textContent = "(" + n.toLocaleString(document.documentElement.lang || undefined) +
        "/" + limit.toLocaleString(document.documentElement.lang || undefined) + ")";
      hint.classList.toggle("over", n > limit);
    }
    input.addEventListener("input", update);
    update();
  });
}());
