/* Upload progress for the documents step. Without JavaScript the plain form works the same. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  // getAttribute: a control named "action" would shadow form.action.
  var target = form.getAttribute("action") || window.location.pathname;
  var bar = form.querySelector("progress");
  var status = form.querySelector("[data-upload-status]");
  // The button pressed (older phones' browsers have no event.submitter).
  var pressed = null;
  Array.prototype.forEach.call(form.querySelectorAll('button[name="action"]'), function (button) {
    button.addEventListener("click", function () { pressed = button.value; });
  });
  form.addEventListener("submit", function (event) {
    var input = form.querySelector('input[type="file"]');
    if (!input || !input.files.length) return; // let the server say what is missing
    // "Add this file" or "Save and continue" (which adds the chosen file first); "finish later",
    // or a button not known, goes as the plain form.
    var action = (event.submitter && event.submitter.value) || pressed;
    if (action !== "upload" && action !== "next") return;
    event.preventDefault();
    var data = new FormData(form);
    data.append("action", action);
    var request = new XMLHttpRequest();
    request.open("POST", target);
    // The server then answers where to go instead of redirecting, so that the messages about
    // the files are still there for the page the person sees.
    request.setRequestHeader("X-Upload-Progress", "1");
    bar.hidden = false;
    bar.value = 0;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = bar.value + "%";
      }
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      status.textContent = "100%";
    });
    request.addEventListener("load", function () {
      window.location.assign(request.getResponseHeader("X-Location") || target);
    });
    request.addEventListener("error", function () {
      // Fall back to the plain form, with the button's choice (form.submit() sends none).
      var choice = document.createElement("input");
      choice.type = "hidden";
      choice.name = "action";
      choice.value = action;
      form.appendChild(choice);
      form.submit();
    });
    request.send(data);
  });
})();
