// The live page: the latest predictions as pictures, rates, the served model and the trainer's last verdict.
'use strict';

(() => {
  const UNSURE = 0.6;
  const grid = document.getElementById('images');
  let capacity = 28;

  function tile(item) {
    const figure = Console.el('figure', 'thumb' + (item.probability < UNSURE ? ' unsure' : ''));
    if (item.hasImage) {
      const img = Console.el('img');
      img.alt = item.id;
      img.addEventListener('error', () => img.replaceWith(Console.el('div', 'no-image', 'image gone')));
      img.src = '/img/live/' + item.seq;
      figure.appendChild(img);
    } else {
      figure.appendChild(Console.el('div', 'no-image', 'no image'));
    }
    const caption = Console.el('figcaption');
    const head = Console.el('div', 'caption-head');
    head.appendChild(Console.el('span', 'label', item.label));
    head.appendChild(Console.el('span', 'prob', Console.percent(item.probability)));
    caption.appendChild(head);
    const bar = Console.el('div', 'bar');
    const fill = Console.el('div', 'fill');
    fill.style.width = Math.round(100 * item.probability) + '%';
    bar.appendChild(fill);
    caption.appendChild(bar);
    const meta = Console.el('div', 'caption-meta');
    meta.appendChild(Console.el('span', 'id', item.id));
    meta.appendChild(Console.el('span', 'version', 'v' + item.modelVersion));
    caption.appendChild(meta);
    figure.title = item.id;
    figure.appendChild(caption);
    return figure;
  }

  function addImages(items) {
    for (const item of items) {
      grid.prepend(tile(item)); // newest first
    }
    while (grid.children.length > capacity) {
      grid.removeChild(grid.lastChild);
    }
    document.getElementById('images-hint').hidden = grid.children.length > 0;
  }

  function showStatus(status) {
    const s = status.stats;
    Console.set('rate', Console.rate(s.imagesPerSecond));
    Console.set('classified', s.classified + ' classified since the console started');
    Console.set('dlq-rate', Console.rate(s.deadLettersPerSecond));
    Console.set('dead-lettered', s.deadLettered + ' dead-lettered since the console started');
    Console.set('served', s.servedVersion >= 0 ? 'v' + s.servedVersion : '–');
    Console.set('served-sub', s.servedModel ? 'model "' + s.servedModel + '", from the latest prediction' : '');
    showVerdict(status.model, status.modelVersions);
    showDeadLetters(status.deadLetters);
  }

  function showVerdict(model, versions) {
    if (!model) {
      Console.set('verdict', 'no model on the models topic yet');
      Console.set('verdict-sub', 'the classifier serves its starting model');
      return;
    }
    if (model.candidateAccuracy !== null && model.liveAccuracy !== null) {
      Console.set('verdict', 'v' + model.version + ' published: ' + Console.percent(model.candidateAccuracy)
          + ' vs ' + Console.percent(model.liveAccuracy));
      Console.set('verdict-sub', 'held-out accuracy of the candidate vs the live v' + model.parentVersion
          + ' on ' + model.heldOut + ' images · ' + versions + ' version(s) on the topic');
    } else {
      Console.set('verdict', 'v' + model.version + ' (no trainer verdict)');
      Console.set('verdict-sub', 'published without the trainer (' + (model.trainedOn || 'models publish') + ')');
    }
  }

  function showDeadLetters(deadLetters) {
    const table = document.getElementById('dead');
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const d of deadLetters.slice().reverse()) {
      const row = Console.el('tr');
      row.appendChild(Console.el('td', 'muted', Console.time(d.timestamp)));
      row.appendChild(Console.el('td', 'id', d.id));
      row.appendChild(Console.el('td', null, '')).appendChild(Console.el('span', 'reason', d.reason));
      row.appendChild(Console.el('td', 'message', d.message));
      row.appendChild(Console.el('td', 'muted', d.source));
      body.appendChild(row);
    }
    table.hidden = deadLetters.length === 0;
    document.getElementById('dead-hint').hidden = deadLetters.length > 0;
  }

  fetch('/api/live').then((r) => r.json()).then((state) => {
    capacity = state.capacity;
    addImages(state.items);
    showStatus(state);
    let lastSeq = state.items.length ? state.items[state.items.length - 1].seq : 0;
    Console.connect(showStatus, (items) => {
      const fresh = items.filter((i) => i.seq > lastSeq);
      if (fresh.length) {
        lastSeq = fresh[fresh.length - 1].seq;
        addImages(fresh);
      }
    }, lastSeq);
  });
})();
