"use strict";
// The index's filter: words (id, title, finding codes) and a status; rows that do not match
// are hidden. Without this script every row shows, and the page prints whole.
(() => {
  const form = document.getElementById("filter");
  const words = document.getElementById("filter-words");
  const status = document.getElementById("filter-status");
  const count = document.getElementById("filter-count");
  const rows = Array.from(document.querySelectorAll("table.index tbody tr"));
  const apply = () => {
    const wanted = words.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      const text = row.dataset.search;
      const match = (!status.value || row.dataset.status === status.value)
        && wanted.every((w) => text.includes(w));
      row.hidden = !match;
      shown += match ? 1 : 0;
    }
    count.textContent = `${shown} of ${rows.length} sources shown`;
  };
  form.addEventListener("submit", (event) => event.preventDefault());
  words.addEventListener("input", apply);
  status.addEventListener("change", apply);
  form.hidden = false;
  apply();
})();
