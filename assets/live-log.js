// Live lines of a running build (src/web/builds/): the browser's own EventSource follows
// /builds/<id>/events and appends each line to the server-rendered <pre>. EventSource reconnects
// by itself with Last-Event-ID, so nothing is lost or shown twice; no library is needed.
(function () {
  'use strict';
  var pre = document.getElementById('build-log');
  if (!pre || !pre.dataset.events || typeof EventSource === 'undefined') return;
  var after = pre.dataset.after;
  var es = new EventSource(pre.dataset.events + (after ? '?after=' + encodeURIComponent(after) : ''));
  es.onmessage = function (ev) {
    // follow the end only when the reader is at the end already
    var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.appendChild(document.createTextNode(ev.data + '\n'));
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  };
  es.addEventListener('end', function () {
    es.close();
    // the server renders the outcome (image, digest, the failing line): show it
    window.location.reload();
  });
})();
