// Copy buttons of the "Intégrer cette carte" blocks (the code stays selectable without JS).
(function () {
  'use strict';
  var buttons = document.querySelectorAll('button[data-copy]');
  Array.prototype.forEach.call(buttons, function (button) {
    var source = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-status'));
    if (!source || !status) { return; }
    button.hidden = false;
    function done(ok) {
      status.textContent = ok ? 'Code copié dans le presse-papiers.'
        : 'Copie impossible : sélectionnez le code puis copiez-le.';
    }
    function fallback() {
      source.focus();
      source.select();
      var ok;
      try { ok = document.execCommand('copy'); } catch { ok = false; }
      done(ok);
    }
    button.addEventListener('click', function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(function () { done(true); }, fallback);
      } else {
        fallback();
      }
    });
  });
}());
