// The registration page's "Copy the link" button: shown only where the clipboard works.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!field || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () {
          if (status) {
            status.textContent = button.getAttribute("data-copied");
          }
        },
        function () {
          field.select();
        }
      );
    });
  });
  var link = document.getElementById("registration-link");
  if (link) {
    link.addEventListener("focus", function () {
      link.select();
    });
  }
})();
