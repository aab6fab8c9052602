// Shared by the console's pages. Untrusted text (image ids, class names, messages) only ever goes into the page
// through textContent: no HTML is built from strings anywhere in the console.
'use strict';

const Console = {
  /** A new element with a class and text (as text, never parsed as HTML). */
  el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  },

  percent(p) {
    return (100 * p).toFixed(1) + ' %';
  },

  rate(r) {
    return r >= 100 ? r.toFixed(0) : r.toFixed(1);
  },

  time(ms) {
    return ms > 0 ? new Date(ms).toLocaleTimeString() : '';
  },

  set(id, text) {
    document.getElementById(id).textContent = text;
  },

  /** The live numbers in the header and tiles both pages share; returns the event source. */
  connect(onStatus, onImages, afterSeq) {
    const source = new EventSource('/events' + (afterSeq ? '?after=' + afterSeq : ''));
    const connection = document.getElementById('connection');
    source.addEventListener('open', () => {
      connection.textContent = 'live';
      connection.className = 'connection live';
    });
    source.addEventListener('error', () => {
      connection.textContent = 'reconnecting…';
      connection.className = 'connection';
    });
    source.addEventListener('status', (e) => {
      const status = JSON.parse(e.data);
      const left = status.queue.left;
      Console.set('nav-left', left > 0 ? String(left) + (status.queue.moreWaiting ? '+' : '') : '');
      onStatus(status);
    });
    if (onImages) {
      source.addEventListener('images', (e) => onImages(JSON.parse(e.data)));
    }
    return source;
  },
};
