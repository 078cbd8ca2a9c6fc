// Chorus embed helper for the page that embeds a counter: include it once, after or before the
// iframes. Each counter tells its page how tall it is; this script sets the iframe's height to
// that. It listens only to frames served from the origin this script came from, and only to
// messages of the counter's own shape.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src || !window.URL) return;
  var origin = new URL(script.src).origin;
  var maxHeight = 2000;

  window.addEventListener('message', function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || typeof data !== 'object' || data.type !== 'chorus:embed-height') return;
    var height = data.height;
    if (typeof height !== 'number' || !isFinite(height) || height <= 0 || height > maxHeight) return;
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.ceil(height) + 'px';
        return;
      }
    }
  });
})();
