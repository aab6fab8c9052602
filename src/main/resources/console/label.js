// The labelling page: the oldest image of the to-label queue, large, with the model's top guesses and one button
// per class (keys 1-9 and 0 choose a class, s skips). A click POSTs the label with this page's CSRF token.
'use strict';

(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const skipped = new Set();
  let items = [];
  let current = null;
  let busy = false;
  let lastCounts = '';

  const card = document.getElementById('card');
  const statusLine = document.getElementById('status');
  const message = document.getElementById('message');

  function showCounts(counts) {
    Console.set('count-labelled', String(counts.labelled));
    Console.set('count-left', String(counts.left) + (counts.moreWaiting ? '+' : ''));
  }

  async function load() {
    const response = await fetch('/api/label/queue?limit=200');
    const state = await response.json();
    showCounts(state.counts);
    if (!state.ready) {
      statusLine.textContent = 'Reading the to-label and labelled-images topics…';
      statusLine.hidden = false;
      card.hidden = true;
      current = null;
      return;
    }
    items = state.items;
    const next = items.find((i) => !skipped.has(i.id));
    if (!next) {
      statusLine.textContent = items.length ? 'You skipped every image waiting; reload the page to see them again.'
          : 'Nothing to label: the model is sure of everything it saw lately.';
      statusLine.hidden = false;
      card.hidden = true;
      current = null;
      return;
    }
    if (!current || current.id !== next.id) {
      show(next);
    }
  }

  function show(item) {
    current = item;
    statusLine.hidden = true;
    card.hidden = false;
    const image = document.getElementById('big-image');
    image.src = item.image;
    image.alt = item.id;
    Console.set('image-id', item.id);
    Console.set('model-version', 'model v' + item.modelVersion);
    const guesses = document.getElementById('guesses');
    guesses.replaceChildren();
    for (const g of item.top) {
      const li = Console.el('li');
      li.appendChild(Console.el('span', 'guess-label', g.label));
      const bar = Console.el('span', 'bar');
      const fill = Console.el('span', 'fill');
      fill.style.width = Math.round(100 * g.probability) + '%';
      bar.appendChild(fill);
      li.appendChild(bar);
      li.appendChild(Console.el('span', 'prob', Console.percent(g.probability)));
      guesses.appendChild(li);
    }
    const buttons = document.getElementById('buttons');
    buttons.replaceChildren();
    item.classes.forEach((name, i) => {
      const button = Console.el('button', 'class-button');
      button.type = 'button';
      button.dataset.label = name;
      button.appendChild(Console.el('span', 'name', name)); // the class name is the button's text
      if (i < 10) button.appendChild(Console.el('kbd', null, String((i + 1) % 10)));
      button.addEventListener('click', () => label(name));
      buttons.appendChild(button);
    });
  }

  async function label(name) {
    if (!current || busy) return;
    busy = true;
    const item = current;
    message.textContent = 'sending…';
    try {
      const response = await fetch('/api/label', {
        method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
        body: JSON.stringify({id: item.id, label: name}),
      });
      const result = await response.json().catch(() => ({message: 'refused (' + response.status + ')'}));
      message.textContent = response.ok ? 'labelled "' + item.id + '" as ' + name : result.message;
      message.className = 'message ' + (response.ok ? 'ok' : 'error');
      if (result.counts) showCounts(result.counts);
      current = null;
    } finally {
      busy = false;
      await load();
    }
  }

  function skip() {
    if (!current) return;
    skipped.add(current.id);
    message.textContent = 'skipped';
    message.className = 'message';
    current = null;
    load();
  }

  document.getElementById('skip').addEventListener('click', skip);
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || !current) return;
    if (e.key === 's' || e.key === 'S') {
      skip();
      return;
    }
    if (/^[0-9]$/.test(e.key)) {
      const index = (Number(e.key) + 9) % 10; // 1 is the first class, 0 the tenth
      if (index < current.classes.length) label(current.classes[index]);
    }
  });

  Console.connect((status) => {
    const counts = JSON.stringify(status.queue) + status.labelReady;
    if (counts !== lastCounts) { // someone labelled, or new uncertain images came: look again
      lastCounts = counts;
      showCounts(status.queue);
      if (!busy) load();
    }
  });
  load();
})();
