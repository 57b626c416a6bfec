/* The Explorer: every paper of papers.json in one table, filtered and sorted in the browser.
 *
 * The filter state lives in the URL query (?cat=pruning&from=2018&code=1&sort=year&dir=asc), so
 * a view can be shared. Catalog strings only ever reach the page through textContent and
 * option.text; the one URL built here is a paper page's, from its id. Sorted orders are computed
 * once per column and reused, so a filter change is one linear pass plus 50 rendered rows.
 * GitHub stars (from `aladin enrich`, in the config) add a Stars column only when there are any.
 * The words it prints come in the config too (config.text, keyed by their English text, from
 * zoo/site/i18n.py), in the page's language; category names show that language first.
 */
(() => {
  "use strict";

  const root = document.getElementById("aladin-explorer");
  if (!root) return;

  const PAGE_SIZE = 50;
  const URL_DELAY = 150; // ms
  const config = JSON.parse(root.querySelector(".aladin-explorer-config").textContent);
  const form = root.querySelector(".aladin-filters");
  const field = (name) => form.elements.namedItem(name);
  // text("{found} of {total} papers", {found: 3, total: 9}) in the page's language.
  const text = (key, values = {}) =>
    (config.text[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  const zh = config.lang === "zh";
  const both = (node) => (zh ? `${node.zh} ${node.en}` : `${node.en} ${node.zh}`);
  const own = (node) => (zh ? node.zh : node.en);
  const tbody = root.querySelector("tbody");
  const countOut = root.querySelector(".aladin-count");
  const share = root.querySelector(".aladin-share");
  const pagerInfo = root.querySelector(".aladin-pager__info");
  const prevButton = root.querySelector("button[name=prev]");
  const nextButton = root.querySelector("button[name=next]");
  const paperUrl = (id) => root.dataset.paperUrl.replace("__ID__", encodeURIComponent(id));

  const zoo = new Set(config.zoo);
  const categories = new Map(config.categories.map((c, i) => [c.id, { ...c, order: i }]));
  const venues = new Map(config.venues.map((v) => [v.id, v]));
  // Paper id -> [stars, note such as "★1.2k (archived)", flag: "archived" | "stale" | ""].
  const stars = new Map(Object.entries(config.stars || {}));
  const SORTS = { title: "asc", year: "desc", venue: "asc", category: "asc", added: "desc" };
  if (stars.size) {
    SORTS.stars = "desc";
    const th = document.createElement("th");
    Object.assign(th, {
      scope: "col", className: "aladin-explorer__stars",
      title: text("GitHub stars of the paper's most-starred repository (no data counts as 0)"),
    });
    th.dataset.sort = "stars";
    th.setAttribute("aria-sort", "none");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text("Stars");
    th.append(button);
    root.querySelector("thead tr").append(th);
  }
  const headers = [...root.querySelectorAll("th[data-sort]")];
  const FLAGS = ["oral", "code", "zoo", "review"]; // checkboxes: keep rows where the flag is set
  const DEFAULTS = {
    q: "", cat: "", sub: "", from: "", to: "", venue: "", oral: false, code: false, zoo: false,
    review: false,
    sort: "", dir: "", page: 1,
  };
  let state = { ...DEFAULTS };
  let rows = [];
  const orders = new Map(); // "year:desc" -> rows sorted that way

  // --- filter controls ------------------------------------------------------------------------

  function addOption(select, value, text) {
    const option = document.createElement("option");
    option.value = value;
    option.text = text;
    select.add(option);
  }

  for (const c of config.categories) addOption(field("cat"), c.id, both(c));
  for (const v of config.venues) addOption(field("venue"), v.id, v.id);
  if (config.years.length) {
    const [newest, oldest] = [config.years[0], config.years[config.years.length - 1]];
    for (const name of ["from", "to"]) {
      Object.assign(field(name), { min: oldest, max: newest });
    }
    field("from").placeholder = oldest;
    field("to").placeholder = newest;
  }

  function fillSubcategories() {
    const select = field("sub");
    while (select.options.length > 1) select.remove(1);
    const category = categories.get(state.cat);
    for (const s of category ? category.subcategories : []) addOption(select, s.id, both(s));
    select.disabled = !category || category.subcategories.length === 0;
  }

  // --- state <-> URL and form -----------------------------------------------------------------

  const isYear = (text) => /^\d{4}$/.test(text);

  function stateFromUrl() {
    const params = new URLSearchParams(location.search);
    const next = { ...DEFAULTS };
    next.q = params.get("q") || "";
    next.cat = categories.has(params.get("cat")) ? params.get("cat") : "";
    const subs = next.cat ? categories.get(next.cat).subcategories.map((s) => s.id) : [];
    next.sub = subs.includes(params.get("sub")) ? params.get("sub") : "";
    next.from = isYear(params.get("from") || "") ? params.get("from") : "";
    next.to = isYear(params.get("to") || "") ? params.get("to") : "";
    next.venue = venues.has(params.get("venue")) ? params.get("venue") : "";
    for (const flag of FLAGS) next[flag] = params.get(flag) === "1";
    next.sort = params.get("sort") in SORTS ? params.get("sort") : "";
    next.dir = ["asc", "desc"].includes(params.get("dir")) && next.sort ? params.get("dir") : "";
    next.page = Math.max(1, parseInt(params.get("page"), 10) || 1);
    return next;
  }

  function stateToUrl() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(state)) {
      if (value === DEFAULTS[key]) continue;
      params.set(key, value === true ? "1" : String(value));
    }
    const query = params.toString();
    history.replaceState(history.state, "", (query ? `?${query}` : location.pathname) + location.hash);
    share.href = location.href;
  }

  function stateToForm() {
    field("q").value = state.q;
    field("cat").value = state.cat;
    fillSubcategories();
    field("sub").value = state.sub;
    field("from").value = state.from;
    field("to").value = state.to;
    field("venue").value = state.venue;
    for (const flag of FLAGS) field(flag).checked = state[flag];
  }

  function stateFromForm() {
    const cat = field("cat").value;
    if (cat !== state.cat) {
      state.cat = cat;
      fillSubcategories();
    }
    state.sub = field("sub").value;
    state.q = field("q").value;
    state.from = isYear(field("from").value) ? field("from").value : "";
    state.to = isYear(field("to").value) ? field("to").value : "";
    state.venue = field("venue").value;
    for (const flag of FLAGS) state[flag] = field(flag).checked;
    state.page = 1;
  }

  // --- data -----------------------------------------------------------------------------------

  function prepare(papers) {
    const prepared = papers.map((p) => {
      const places = [[p.category, p.subcategory], ...p.also_in.map((a) => [a.category, a.subcategory])];
      const names = places.flatMap(([c, s]) => {
        const category = categories.get(c);
        const sub = category && category.subcategories.find((x) => x.id === s);
        return [category && `${category.en} ${category.zh}`, sub && `${sub.en} ${sub.zh}`];
      }).filter(Boolean);
      const venue = venues.get(p.venue);
      const repo = stars.get(p.id);
      return {
        paper: p,
        places,
        oral: p.presentation === "oral",
        code: p.code.length > 0,
        zoo: zoo.has(p.id),
        review: Boolean(p.review),
        repo,
        stars: repo ? repo[0] : 0, // no data sorts as no stars
        categoryOrder: (categories.get(p.category) || { order: 99 }).order,
        titleKey: p.title.toLowerCase(),
        text: [p.title, ...p.authors, p.venue, venue ? venue.name : "", p.id, p.label,
          p.award || "", ...p.tags, ...names].join("\n").toLowerCase(),
      };
    });
    // Reading order (newest year first, then title): the default and every sort's tie-break.
    prepared.sort((a, b) => b.paper.year - a.paper.year || (b.paper.month || 0) - (a.paper.month || 0)
      || (a.titleKey < b.titleKey ? -1 : a.titleKey > b.titleKey ? 1 : 0)
      || (a.paper.id < b.paper.id ? -1 : 1));
    prepared.forEach((row, i) => { row.rank = i; });
    return prepared;
  }

  const KEYS = {
    title: (r) => r.titleKey,
    year: (r) => r.paper.year * 100 + (r.paper.month || 0),
    venue: (r) => r.paper.venue.toLowerCase(),
    category: (r) => r.categoryOrder,
    added: (r) => r.paper.added,
    stars: (r) => r.stars,
  };

  // The column and direction the table is shown in. The reading order (no sort chosen) is newest
  // year first, so Year shows as sorted descending and its first click turns it to oldest first.
  function shownSort() {
    return state.sort ? [state.sort, state.dir || SORTS[state.sort]] : ["year", "desc"];
  }

  function ordered() {
    if (!state.sort) return rows;
    const dir = state.dir || SORTS[state.sort];
    const name = `${state.sort}:${dir}`;
    if (!orders.has(name)) {
      const key = KEYS[state.sort];
      const sign = dir === "asc" ? 1 : -1;
      orders.set(name, [...rows].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        return (x < y ? -sign : x > y ? sign : 0) || a.rank - b.rank;
      }));
    }
    return orders.get(name);
  }

  function matches() {
    const words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    const from = state.from ? Number(state.from) : -Infinity;
    const to = state.to ? Number(state.to) : Infinity;
    return ordered().filter((r) => {
      const p = r.paper;
      if (p.year < from || p.year > to) return false;
      if (state.venue && p.venue !== state.venue) return false;
      if (state.oral && !r.oral) return false;
      if (state.code && !r.code) return false;
      if (state.zoo && !r.zoo) return false;
      if (state.review && !r.review) return false;
      if (state.cat && !r.places.some(([c, s]) => c === state.cat && (!state.sub || s === state.sub))) {
        return false;
      }
      return words.every((w) => r.text.includes(w));
    });
  }

  // --- rendering ------------------------------------------------------------------------------

  function cell(tr, text, className) {
    const td = tr.insertCell();
    if (text !== undefined) td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function badge(parent, text, kind) {
    const span = document.createElement("span");
    span.className = `aladin-badge aladin-badge--${kind}`;
    span.textContent = text;
    parent.append(" ", span);
  }

  function renderRow(r) {
    const p = r.paper;
    const tr = document.createElement("tr");
    const title = cell(tr, undefined, "aladin-explorer__title");
    const link = document.createElement("a");
    link.href = paperUrl(p.id);
    link.textContent = p.title;
    if (zh) link.lang = "en"; // catalog text stays as written
    title.append(link);
    if (p.award) badge(title, p.award, "award");
    if (r.oral) badge(title, text("oral"), "oral");
    if (r.code) badge(title, text("code"), "code");
    if (r.zoo) badge(title, text("zoo"), "zoo");
    if (r.review) badge(title, text("needs review"), "review");
    if (p.authors.length) {
      const authors = document.createElement("div");
      authors.className = "aladin-authors";
      authors.textContent = p.authors.length > 3 ? `${p.authors.slice(0, 3).join(", ")} ${text("et al.")}` : p.authors.join(", ");
      title.append(authors);
    }
    cell(tr, String(p.year));
    cell(tr, p.venue);
    const category = categories.get(p.category);
    const sub = category && category.subcategories.find((s) => s.id === p.subcategory);
    cell(tr, sub ? own(sub) : category ? own(category) : p.category);
    cell(tr, p.added);
    if (stars.size) {
      const [, note, flag] = r.repo || [0, "", ""];
      cell(tr, note, flag ? `aladin-stars aladin-stars--${flag}` : "aladin-stars");
    }
    return tr;
  }

  function render(found) {
    const pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages);
    const start = (state.page - 1) * PAGE_SIZE;
    const fragment = document.createDocumentFragment();
    for (const r of found.slice(start, start + PAGE_SIZE)) fragment.append(renderRow(r));
    tbody.replaceChildren(fragment);
    countOut.dataset.count = String(found.length);
    countOut.textContent = found.length === rows.length
      ? text("{total} papers", { total: rows.length })
      : text("{found} of {total} papers", { found: found.length, total: rows.length });
    pagerInfo.textContent = found.length
      ? text("{first}–{last} of {found} · page {page} of {pages}", {
        first: start + 1, last: Math.min(start + PAGE_SIZE, found.length), found: found.length,
        page: state.page, pages,
      })
      : text("No paper matches these filters.");
    prevButton.disabled = state.page <= 1;
    nextButton.disabled = state.page >= pages;
    root.dataset.sort = state.sort; // narrow screens show the Stars column only when sorting by it
    const [sorted, dir] = shownSort();
    for (const th of headers) {
      th.setAttribute("aria-sort", th.dataset.sort === sorted ? (dir === "asc" ? "ascending" : "descending") : "none");
    }
  }

  // Writing the address bar (history.replaceState) costs more than filtering 10,000 papers, so
  // it happens just after the table is drawn, once typing pauses.
  let urlTimer = 0;
  function update() {
    render(matches());
    root.dataset.ready = "true";
    root.dataset.synced = "false";
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => {
      stateToUrl();
      root.dataset.synced = "true";
    }, URL_DELAY);
  }

  // --- events ---------------------------------------------------------------------------------

  // A select or checkbox fires both "input" and "change" for one user action: draw once.
  function onForm() {
    const before = JSON.stringify(state);
    stateFromForm();
    if (JSON.stringify(state) !== before) update();
  }
  form.addEventListener("input", onForm);
  form.addEventListener("change", onForm);
  field("reset").addEventListener("click", () => {
    state = { ...DEFAULTS };
    stateToForm();
    update();
  });
  for (const th of headers) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.sort;
      const [sorted, current] = shownSort();
      state.dir = key === sorted ? (current === "asc" ? "desc" : "asc") : SORTS[key];
      state.sort = key;
      state.page = 1;
      update();
    });
  }
  prevButton.addEventListener("click", () => { state.page -= 1; update(); });
  nextButton.addEventListener("click", () => { state.page += 1; update(); });

  fetch(root.dataset.src)
    .then((response) => {
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return response.json();
    })
    .then((data) => {
      rows = prepare(data.papers);
      state = stateFromUrl();
      stateToForm();
      update();
    })
    .catch((error) => {
      countOut.textContent = text("Could not load the papers ({error}).", { error: error.message });
      root.dataset.ready = "error";
    });
})();
