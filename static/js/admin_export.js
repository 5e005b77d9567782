// The admin's export page: its "Select all" box, bound here because the Content-Security-Policy
// refuses inline handlers (import-export's template had onchange="onSelectToggleChange(event)").
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box.matches("input.select-toggle") && typeof window.onSelectToggleChange === "function") {
    window.onSelectToggleChange(event);
  }
});
