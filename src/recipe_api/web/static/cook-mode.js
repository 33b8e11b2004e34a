// Cook mode: larger steps, and the screen kept on (Screen Wake Lock API) where the
// browser has it. Without this script, or without the API, the page is the same recipe.
(function () {
  "use strict";
  var button = document.querySelector(".cook-mode-toggle");
  if (!button) return;
  var lock = null;
  var on = false;

  function keepAwake() {
    if (!on || !("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    navigator.wakeLock.request("screen").then(function (sentinel) {
      lock = sentinel;
    }).catch(function () {
      lock = null; // refused (battery saver, no permission): the larger type still helps
    });
  }

  function set(value) {
    on = value;
    document.body.classList.toggle("cook-mode", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Leave cook mode" : "Cook mode";
    if (on) {
      keepAwake();
    } else if (lock) {
      lock.release();
      lock = null;
    }
  }

  button.addEventListener("click", function () { set(!on); });
  // The browser lets the lock go when the tab is hidden: take it again on return.
  document.addEventListener("visibilitychange", keepAwake);
  button.hidden = false;
})();
