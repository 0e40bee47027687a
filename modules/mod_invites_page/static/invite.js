// Progressive enhancement only: every page works without this file.
// The "nothing happens?" hint stays hidden until the invite button was pressed and the page
// is still in front a moment later, which is what happens when no app took the xmpp: link.
(function () {
  'use strict';
  var button = document.getElementById('open-invite');
  var hint = document.getElementById('open-hint');
  if (!button || !hint) return;
  hint.classList.add('js-hidden');
  button.addEventListener('click', function () {
    window.setTimeout(function () {
      if (document.visibilityState === 'visible') hint.classList.remove('js-hidden');
    }, 1500);
  });
})();
