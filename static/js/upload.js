/* Upload forms: a file over the upload limit is caught here, before it is sent, so the form
   keeps what was typed and says the limit. The server still refuses it (413) if this script
   does not run. The message comes from the page (data-too-large). */
(function () {
  "use strict";

  function megabytes(bytes) {
    var mb = bytes / 1048576;
    return (mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10).toLocaleString(
      document.documentElement.lang || undefined) + " MB";
  }

  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var limit = parseInt(input.dataset.maxBytes, 10);
    var form = input.form;
    if (!limit || !form) return;
    var note = document.createElement("p");
    note.className = "field-error";
    note.id = input.id + "-too-large";
    note.hidden = true;
    note.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", note);

    function tooLarge() {
      var file = input.files && input.files[0];
      return file && file.size > limit ? file : null;
    }
    function check() {
      var file = tooLarge();
      note.hidden = !file;
      note.textContent = file ? input.dataset.tooLarge
        .replace("%(size)s", megabytes(file.size))
        .replace("%(limit)s", megabytes(limit)) : "";
      input.setAttribute("aria-invalid", file ? "true" : "false");
      return !file;
    }
    input.addEventListener("change", check);
    form.addEventListener("submit", function (event) {
      if (!check()) {
        event.preventDefault();
        input.focus();
      }
    });
  });
}());
