// Sortable tables: a click on a header button sorts the rows by that column's data-sort values
// (numbers numerically, text alphabetically), ascending first; cells without a value go last.
document.querySelectorAll("table[data-sortable]").forEach((table) => {
  const headers = [...table.tHead.rows[0].cells];
  headers.forEach((th, column) => {
    th.querySelector("button").addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((other) => other.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const numeric = th.dataset.type === "num";
      const key = (row) => {
        const value = row.cells[column] && row.cells[column].dataset.sort;
        if (value === undefined || value === "") return null;
        return numeric ? Number(value) : value.toLowerCase();
      };
      const body = table.tBodies[0];
      const rows = [...body.rows].sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === null || y === null) return (x === null) - (y === null);
        const order = x < y ? -1 : x > y ? 1 : 0;
        return ascending ? order : -order;
      });
      body.append(...rows);
    });
  });
});
