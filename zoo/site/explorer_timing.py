"""JavaScript that times the Explorer's filter updates inside a real browser.

Shared by the browser test of the 10,000-paper site and ``scripts/bench_explorer.py``: called
with ``[field name, values]``, it sets the filter field to each value in turn, fires the event the
form listens to, forces layout, and returns ``{times, counts}`` — milliseconds per change and the
count the explorer then shows.
"""

MEASURE = """([name, values]) => {
  const field = document.querySelector(`.aladin-explorer form [name=${name}]`);
  const event = field.tagName === 'SELECT' || field.type === 'checkbox' ? 'change' : 'input';
  const times = [];
  const counts = [];
  for (const value of values) {
    const start = performance.now();
    if (field.type === 'checkbox') field.checked = value === '1'; else field.value = value;
    field.dispatchEvent(new Event(event, {bubbles: true}));
    document.querySelector('.aladin-explorer tbody').getBoundingClientRect();  // force layout
    times.push(performance.now() - start);
    counts.push(+document.querySelector('.aladin-explorer .aladin-count').dataset.count);
  }
  return {times, counts};
}"""
