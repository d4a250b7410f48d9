// Optional comfort: drag and drop onto the form, and upload progress on the board.
// The forms work without this file (plain multipart POSTs).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.drop").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    form.addEventListener("dragover", function (e) { e.preventDefault(); form.classList.add("over"); });
    form.addEventListener("dragleave", function () { form.classList.remove("over"); });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      form.classList.remove("over");
      input.files = e.dataTransfer.files;
      form.requestSubmit();
    });
    var bar = form.querySelector("progress");
    if (!bar) { return; }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      xhr.upload.addEventListener("progress", function (p) { if (p.lengthComputable) { bar.value = p.loaded / p.total; } });
      xhr.addEventListener("load", function () {
        var posted = new URL(form.action, window.location.href);
        var landed = xhr.responseURL ? new URL(xhr.responseURL) : posted;
        if (landed.pathname !== posted.pathname) {  // redirected to the page to show
          window.location.href = landed.href;
          return;
        }
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");  // a refusal: show it
        document.title = doc.title;
        document.body.replaceWith(doc.body);
      });
      xhr.send(new FormData(form));
    });
  });
});
