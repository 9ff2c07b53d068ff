// HTMX sends the CSRF token from the page's meta tag on every request it makes.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});

// An action names itself in words (the text of the button pressed): should the session have ended
// meanwhile, the sign-in page says that this action was not done (portal/auth/unauthorized.py).
// URL-encoded, as a header carries Latin-1 only.
document.addEventListener("htmx:configRequest", function (event) {
  if (event.detail.verb === "get") {
    return;
  }
  var triggering = event.detail.triggeringEvent;
  var element = (triggering && triggering.submitter) || event.detail.elt;
  if (element && element.tagName === "FORM") {
    element = element.querySelector("button[type=submit], button:not([type])");
  }
  var name = element ? (element.getAttribute("data-action-name") || element.textContent || "") : "";
  name = name.replace(/\s+/g, " ").trim().slice(0, 80);
  if (name) {
    event.detail.headers["X-Portal-Action"] = encodeURIComponent(name);
  }
});

// A failed request still shows its message instead of doing nothing:
// - the server's error handlers address a message box to #htmx-error (HX-Retarget), whatever the status;
// - views answer refused actions (400, 409), invalid forms (422) and "the queue is down" (503) with a fragment
//   for their own target.
// Anything else (no fragment at all) falls through to htmx:responseError below.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  var toErrorBox = event.detail.target && event.detail.target.id === "htmx-error";
  if (toErrorBox || status === 422 || status === 409 || status === 400 || status === 503) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("htmx-error");
  if (box) {
    box.textContent = "The server could not complete that action (" + event.detail.xhr.status + "). Reload the page and try again.";
    box.hidden = false;
  }
});

document.addEventListener("htmx:sendError", function () {
  var box = document.getElementById("htmx-error");
  if (box) {
    box.textContent = "The portal could not be reached. Check your connection and try again.";
    box.hidden = false;
  }
});

// Turning Synchronize Orders on asks first (accounts/_site_link.html): from then on eligible
// orders are pushed, and duplicated if an older integration still pushes them. Only the change
// from off to on asks; Save with the switch already on does not. Cancelling keeps the form as it is.
document.addEventListener("htmx:confirm", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm-sync-orders")) {
    return;
  }
  var box = form.elements.sync_orders;
  if (box && box.checked && form.dataset.syncOrdersSaved !== "on") {
    event.preventDefault();
    if (window.confirm(form.dataset.confirmSyncOrders)) {
      event.detail.issueRequest(true);
    }
  }
});

// After an error the focus goes to the form's error summary (templates/_forms.html: error_summary,
// marked data-error-summary): on a page that comes back with one, and when an HTMX answer swaps one
// in. Each summary takes the focus once, so a later swap elsewhere on the page does not steal it.
function focusNewErrorSummary() {
  var summary = document.querySelector("[data-error-summary]:not([data-focused])");
  if (summary) {
    summary.setAttribute("data-focused", "");
    summary.focus();
  }
}
document.addEventListener("DOMContentLoaded", focusNewErrorSummary);
document.addEventListener("htmx:afterSettle", focusNewErrorSummary);

// A link in an error summary puts the focus in its field, not only the field on the screen.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("[data-error-summary] a[href^='#']") : null;
  var field = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
  if (field) {
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: "center" });
  }
});

// On a narrow screen a table scrolls inside its own box (static/style.css); mark the ones that do,
// so a hint says there is more to the side. Checked on load, after every swap and on resize.
function markOverflowingTables() {
  var tables = document.querySelectorAll("table");
  for (var i = 0; i < tables.length; i++) {
    var table = tables[i];
    table.classList.toggle("overflowing", table.scrollWidth > table.clientWidth + 1);
  }
}
document.addEventListener("DOMContentLoaded", markOverflowingTables);
document.addEventListener("htmx:afterSettle", markOverflowingTables);
window.addEventListener("resize", markOverflowingTables);
