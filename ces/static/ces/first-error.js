// On a page that came back with errors, bring the first one into view: its field is focused and the card
// or row holding it (the templates mark it with .error-card) is scrolled to the middle of the screen. A
// long form (a request's 58 items, a count, a delivery) otherwise shows its error far from where the
// person is looking. With no field error, the summary at the top (.errors) is brought into view instead.
(function () {
  "use strict";

  function firstError() {
    var field = document.querySelector(".has-error");
    if (field) {
      return {
        box: field.closest(".error-card") || field,
        input: field.querySelector("input:not([type=hidden]), select, textarea"),
      };
    }
    var summary = document.querySelector("main .errors");
    return summary ? { box: summary, input: null } : null;
  }

  function show() {
    var found = firstError();
    if (!found) {
      return;
    }
    // An error inside a folded section (the request form's other items) is shown unfolded.
    for (var fold = found.box.closest("details"); fold; fold = fold.parentElement.closest("details")) {
      fold.open = true;
    }
    found.box.scrollIntoView({ block: "center" });
    if (found.input) {
      found.input.focus({ preventScroll: true });
    } else {
      if (!found.box.hasAttribute("tabindex")) {
        found.box.setAttribute("tabindex", "-1");
      }
      found.box.focus({ preventScroll: true });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})();
