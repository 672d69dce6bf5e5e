// duplex console: progressive enhancement only. Every page works without
// this script; with it, the two-way form shows only the fields that apply,
// lists that change on their own (inbound activity, the phone simulator)
// refresh every second, and the simulator sends without reloading.
(function () {
  "use strict";

  // data-show-if="Name" (a checked checkbox) or "Name=value" (a checked radio).
  function applyShowIf(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (el) {
      var cond = el.getAttribute("data-show-if");
      var parts = cond.split("=");
      var inputs = form.querySelectorAll('[name="' + parts[0] + '"]');
      var on = false;
      inputs.forEach(function (i) {
        if (i.checked && (parts.length === 1 || i.value === parts[1])) on = true;
      });
      el.hidden = !on;
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-show-if]")) return;
    applyShowIf(form);
    form.addEventListener("change", function () { applyShowIf(form); });
  });

  // Confirmation before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
    });
  });

  // Server-rendered windows become modal.
  document.querySelectorAll("dialog[data-modal]").forEach(function (d) {
    if (d.open && d.showModal) {
      d.close();
      d.showModal();
    }
  });

  // Polling: replace the element's content with the fragment at data-poll
  // when it changed.
  var pollers = [];
  function poll(el) {
    var url = el.getAttribute("data-poll");
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (res) {
        if (res.status === 401) {
          window.location.href = "/console/signin?next=" + encodeURIComponent(window.location.pathname + window.location.search);
          return null;
        }
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html === null || html === el.getAttribute("data-last")) return;
        el.setAttribute("data-last", html);
        el.innerHTML = html;
        if (el.classList.contains("chat")) el.scrollTop = el.scrollHeight;
        el.dispatchEvent(new CustomEvent("console:updated", { bubbles: true }));
      })
      .catch(function () { /* the next tick tries again */ });
  }
  document.querySelectorAll("[data-poll]").forEach(function (el) {
    if (el.classList.contains("chat")) el.scrollTop = el.scrollHeight;
    pollers.push(el);
    poll(el);
  });
  if (pollers.length) {
    window.setInterval(function () {
      if (document.hidden) return;
      pollers.forEach(poll);
    }, 1000);
  }

  // Forms marked data-fetch post in the background (the simulator's
  // compose box) and refresh the pollers at once.
  document.querySelectorAll("form[data-fetch]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var status = form.querySelector(".field-error");
      var body = new URLSearchParams(new FormData(form));
      fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (res) {
        if (res.ok) {
          if (status) status.textContent = "";
          var input = form.querySelector('[name="body"]');
          if (input) { input.value = ""; input.removeAttribute("aria-invalid"); input.focus(); }
          pollers.forEach(poll);
          return;
        }
        return res.text().then(function (t) {
          if (status) status.textContent = t || ("The message was not sent (HTTP " + res.status + ").");
        });
      }).catch(function () {
        if (status) status.textContent = "The message was not sent: the server did not answer.";
      });
    });
  });
})();
