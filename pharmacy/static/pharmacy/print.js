// A "Print" button without an inline handler (the CSP allows scripts from this site only).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
