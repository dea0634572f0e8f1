// kuvend: writes an event's time in the reader's own zone beside the time in
// the event's zone. Served from this origin as /static/local-time.js; event
// pages load it with `defer` (their Content-Security-Policy allows scripts
// from this origin only, never inline ones). It writes text only, never HTML.
"use strict";
(function () {
  var options = {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  };
  var format, readerZone;
  try {
    format = new Intl.DateTimeFormat(undefined, options);
    readerZone = format.resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  var times = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < times.length; i++) {
    var time = times[i];
    var target = document.getElementById(time.getAttribute("data-local"));
    var start = new Date(time.getAttribute("datetime"));
    if (!target || isNaN(start.getTime())) continue;
    // A reader in the event's own zone already sees their time.
    if (readerZone && readerZone === time.getAttribute("data-zone")) continue;
    var text = format.format(start);
    var endValue = time.getAttribute("data-end");
    var end = endValue ? new Date(endValue) : null;
    if (end && !isNaN(end.getTime())) {
      text = format.formatRange ? format.formatRange(start, end) : text + " – " + format.format(end);
    }
    target.textContent = "Your time: " + text + (readerZone ? " (" + readerZone + ")" : "");
    target.hidden = false;
  }
})();
